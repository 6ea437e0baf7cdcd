"""Builder of mnc's local PlatformIO platform `mnc-qemu`.

Compiles with the arm-none-eabi tools found on PATH (Debian's gcc-arm-none-eabi), so no toolchain
package is downloaded, and implements `upload` by booting the ELF in qemu-system-arm on the
board's machine with `-icount shift=0` (one retired instruction = 1 ns of virtual time). The
firmware prints on its UART, which QEMU connects to this process's stdout, and ends the emulator
with an Arm semihosting SYS_EXIT.
"""

import subprocess
import sys

from SCons.Script import AlwaysBuild, Default, DefaultEnvironment

UPLOAD_TIMEOUT_S = 600

env = DefaultEnvironment()
board = env.BoardConfig()

env.Replace(
    AR="arm-none-eabi-ar",
    AS="arm-none-eabi-as",
    CC="arm-none-eabi-gcc",
    CXX="arm-none-eabi-g++",
    OBJCOPY="arm-none-eabi-objcopy",
    RANLIB="arm-none-eabi-ranlib",
    SIZETOOL="arm-none-eabi-size",
    ARFLAGS=["rc"],
    SIZEPRINTCMD="$SIZETOOL -B -d $SOURCES",
    SIZEPROGREGEXP=r"^(?:\.vectors|\.text|\.ARM\.exidx|\.rodata|\.data)\s+(\d+).*",
    SIZEDATAREGEXP=r"^(?:\.data|\.bss|\.stack)\s+(\d+).*",
    PROGSUFFIX=".elf",
)

# The project's extra script (scripts/mnc_link_flags.py) adds the core's -m flags and newlib's specs.
env.Append(LINKFLAGS=["-Wl,--gc-sections"])


def boot_in_qemu(target, source, env):
    """`upload`: run the firmware once in QEMU; its UART lines go to stdout."""
    machine = board.get("upload.qemu_machine")
    cmd = ["qemu-system-arm", "-machine", machine, "-nographic", "-monitor", "none", "-serial", "stdio",
           "-icount", "shift=0", "-semihosting-config", "enable=on,target=native",
           "-kernel", str(source[0])]
    print(" ".join(cmd))
    sys.stdout.flush()
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, timeout=UPLOAD_TIMEOUT_S)
    except FileNotFoundError:
        sys.stderr.write("Error: qemu-system-arm not found (Debian: apt-get install qemu-system-arm)\n")
        return 1
    except subprocess.TimeoutExpired:
        sys.stderr.write("Error: the firmware did not stop QEMU within %d s\n" % UPLOAD_TIMEOUT_S)
        return 1
    return proc.returncode


program = env.BuildProgram()
size = env.Alias("size", program, env.VerboseAction("$SIZEPRINTCMD", "Calculating size $SOURCE"))
AlwaysBuild(size)
upload = env.Alias("upload", program, env.VerboseAction(boot_in_qemu, "Booting $SOURCE in QEMU"))
AlwaysBuild(upload)
Default([program, size])
