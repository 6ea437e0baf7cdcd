"""C kernels as seen from Python. `call` is what a layer's call looks like, `base` what every kernel
declares (`KernelDescriptor`), one module per C kernel describes it (conv1x1_dsp.py for
templates/kernels/mnc_conv1x1_dsp_s8.c), and `select.lower_op` picks, for an op on a target, the
first of the op's candidate kernels that applies. See docs/KERNELS.md."""
