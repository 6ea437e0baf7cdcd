"""Regenerate the op table in docs/IR.md from the op and kernel descriptors (see mnc/support.py)."""

from mnc.support import ir_doc_path, updated_ir_doc

if __name__ == "__main__":
    path = ir_doc_path()
    path.write_text(updated_ir_doc(path.read_text()))
    print(f"updated {path}")
