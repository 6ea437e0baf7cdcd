"""Which targets run under QEMU (all of them: M0+ on the micro:bit machine)."""

EMULATED_TARGETS = ["cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55"]
