"""mnc: a MobileNet compiler that emits standalone int8 C for Arm Cortex-M."""

__version__ = "0.1.0"
