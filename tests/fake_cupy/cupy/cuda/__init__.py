"""`cupy.cuda` of the double: one pretend device (id 0) and the calls minexport makes."""

_current = [0]


class Device:
    """A CUDA device by id; a context manager making it current."""

    def __init__(self, device=None):
        self.id = _current[0] if device is None else int(device)
        if self.id != 0:
            raise RuntimeError(f"CUDARuntimeError: cudaErrorInvalidDevice: invalid device ordinal {self.id}")

    def __enter__(self):
        self._prev = _current[0]
        _current[0] = self.id
        return self

    def __exit__(self, *exc):
        _current[0] = self._prev
        return False

    def use(self):
        """Make this device current."""
        _current[0] = self.id

    def synchronize(self):
        """Wait for the device (a no-op: the double computes eagerly)."""

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


def is_available():
    """True: the double always has its one device."""
    return True


class runtime:
    """`cupy.cuda.runtime`: the device count."""

    @staticmethod
    def getDeviceCount():
        """How many devices: one."""
        return 1


def get_device_id():
    """The current device's id."""
    return _current[0]
