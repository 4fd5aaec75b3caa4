import matplotlib.pyplot as plt
import numpy as np
import pytest

from condgen import plot


def _render(ax):
    fig = ax.figure
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)


def test_binary_matrix_black_exactly_at_ones():
    M = np.array([[1, 0, 0, 1], [0, 1, 0, 0], [1, 1, 0, 1]], dtype=float)
    fig = plt.figure(figsize=(4, 3), dpi=100)  # 100 x 100 pixels per cell
    ax = fig.add_axes((0, 0, 1, 1))
    returned = plot.binary_matrix(M, ax=ax)
    assert returned is ax
    pixels = _render(ax)
    assert pixels.shape[:2] == (300, 400)
    for i in range(3):
        for j in range(4):
            centre = pixels[i * 100 + 50, j * 100 + 50]  # row 0 at the top
            expected = 0 if M[i, j] == 1 else 255
            np.testing.assert_array_equal(centre, [expected] * 3, err_msg=f"cell {(i, j)}")
    plt.close(fig)


def test_binary_matrix_square_cells_and_large_input():
    M = (np.random.default_rng(0).random((5000, 500)) < 0.2).astype(float)
    ax = plot.binary_matrix(M, title="large")
    assert ax.get_aspect() == 1.0
    assert ax.get_title() == "large"
    assert ax.get_xticks().size == 0
    plt.close(ax.figure)


def test_binary_matrix_rejects_1d():
    with pytest.raises(ValueError, match="2-D"):
        plot.binary_matrix(np.zeros(4))


def test_loss_curves_one_line_per_series(tmp_path):
    ax = plot.loss_curves({"discriminator": [0.7, 0.6, 0.5], "generator": [1.0, 0.9, 0.8]})
    assert len(ax.get_lines()) == 2
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["discriminator", "generator"]
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1, 2, 3])
    ax.figure.savefig(tmp_path / "curves.png")
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="dict"):
        plot.loss_curves({})
