"""C kernels as seen from Python: what a layer's call into templates/kernels looks like (`call`)."""
