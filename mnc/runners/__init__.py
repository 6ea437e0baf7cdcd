"""Runners: build a generated C package and execute it (host gcc, or Cortex-M under QEMU)."""
