"""Arm's CMSIS-NN as a second kernel family (`mnc compile --kernels cmsis-nn [--cmsis-nn DIR]`):
`sources` finds the library and the files a package needs, `kernels` describes each glue function as a
kernel descriptor (the family mnc.kernels.select tries first), `buffers` transcribes Arm's scratch sizes."""
