# Runs inside the interpreter being identified: Python 2.7 through 3.x, stdlib only.
# Prints one JSON object on stdout. Keep it tiny and fast: it is run once per interpreter
# binary and the answer is cached.
import json
import os
import platform
import struct
import sys
import sysconfig


def _marker_env():
    impl = getattr(sys, "implementation", None)
    impl_name = impl.name if impl is not None else platform.python_implementation().lower()
    if impl is not None:
        info = impl.version
        impl_version = "%d.%d.%d" % (info.major, info.minor, info.micro)
        if info.releaselevel != "final":
            impl_version += info.releaselevel[0] + str(info.serial)
    else:
        impl_version = "0"
    return {
        "implementation_name": impl_name,
        "implementation_version": impl_version,
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def _externally_managed():
    try:
        stdlib = sysconfig.get_path("stdlib")
    except Exception:  # noqa
        return False
    return bool(stdlib) and os.path.isfile(os.path.join(stdlib, "EXTERNALLY-MANAGED"))


def _abiflags():
    flags = getattr(sys, "abiflags", None)  # POSIX Python 3; absent on Windows and Python 2
    if flags is not None:
        return flags
    flags = ""
    if sysconfig.get_config_var("Py_DEBUG"):
        flags += "d"
    if sys.version_info[0] < 3:
        if sysconfig.get_config_var("WITH_PYMALLOC") or os.name != "nt":
            flags += "m"
        if sys.maxunicode > 0xFFFF:
            flags += "u"
    elif sysconfig.get_config_var("Py_GIL_DISABLED"):
        flags = "t" + flags
    return flags


def main():
    vi = sys.version_info
    base_prefix = getattr(sys, "base_prefix", getattr(sys, "real_prefix", sys.prefix))
    info = {
        "executable": sys.executable,
        "realpath": os.path.realpath(sys.executable),
        "implementation": platform.python_implementation(),
        "version": "%d.%d.%d" % (vi[0], vi[1], vi[2]) + ("" if vi[3] == "final" else vi[3][0] + str(vi[4])),
        "version_info": [vi[0], vi[1], vi[2], vi[3], vi[4]],
        "pointer_bits": struct.calcsize("P") * 8,
        "machine": platform.machine(),
        "platform": sys.platform,
        "prefix": sys.prefix,
        "base_prefix": base_prefix,
        "is_venv": sys.prefix != base_prefix or hasattr(sys, "real_prefix"),
        "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "externally_managed": _externally_managed(),
        "purelib": sysconfig.get_path("purelib"),
        "marker_env": _marker_env(),
        "soabi": sysconfig.get_config_var("SOABI") or "",
        "abiflags": _abiflags(),
    }
    sys.stdout.write(json.dumps(info))


main()
