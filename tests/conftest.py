import os

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("TQDM_DISABLE", "1")


@pytest.fixture
def restore_threads():
    """Restore condgen's thread count after a test that changes it."""
    import condgen

    before = condgen.get_num_threads()
    yield
    condgen.set_num_threads(before)
