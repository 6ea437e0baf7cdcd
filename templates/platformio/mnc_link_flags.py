# PlatformIO extra script written by mnc: link with the same -mcpu/-mfpu/-mfloat-abi flags the
# sources are compiled with (build_flags reach only the compiler), so the linker picks the
# matching newlib multilib; and without the toolchain's start files (src/startup.c has the
# vector table and reset handler).
Import("env")  # noqa: F821 (SCons provides Import)

machine_flags = [f for f in env.ParseFlags(env.get("BUILD_FLAGS", []))["CCFLAGS"]  # noqa: F821
                 if isinstance(f, str) and f.startswith("-m")]
env.Append(LINKFLAGS=[*machine_flags, "-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs"])  # noqa: F821
