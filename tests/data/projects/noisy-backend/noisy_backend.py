import sys


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    print("fatal: the real cause, on stderr", file=sys.stderr)
    sys.stderr.flush()
    print("writing top-level names to noisy.egg-info/top_level.txt")
    sys.stdout.flush()
    raise SystemExit(1)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    raise SystemExit(1)
