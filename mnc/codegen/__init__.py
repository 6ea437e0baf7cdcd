"""C code generation: lowering ops to kernel calls and rendering the package with Jinja."""
