"""Arm's CMSIS-NN as a second kernel family (`mnc compile --kernels cmsis-nn [--cmsis-nn DIR]`):
`sources` finds the library and the files a package needs, `lowering` maps ops to its functions."""
