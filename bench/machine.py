"""What the bench scripts record about the machine they ran on."""
import os
import platform


def cpu_model():
    """The CPU's model name from /proc/cpuinfo, else what platform knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def os_description():
    return f"{platform.system()} {platform.release()}"


def logical_cores():
    return os.cpu_count()
