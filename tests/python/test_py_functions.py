"""lwnet.hsic, gram, kme, median_sigma and standardize: bitwise the numbers the lwnet tool prints for
the same data, close to an independent numpy computation, and the same whatever the array's layout
(the zero-copy rule of lwnet/_arrays.py)."""
import unittest

import numpy as np

import lwnet
from lwnet._arrays import as_matrix
from lwnet_test_support import cli_json, needs_cli, wine, wine_path


def numpy_gaussian_gram(Z, X, sigma):
    Z = Z.astype(np.float64)
    X = X.astype(np.float64)
    d2 = (Z**2).sum(1)[:, None] + (X**2).sum(1)[None, :] - 2 * Z @ X.T
    return np.exp(-np.maximum(d2, 0) / (2 * sigma**2))


class HsicAgainstTheTool(unittest.TestCase):
    @needs_cli
    def test_raw_and_standardised_wine_bitwise(self):
        X, y = wine()
        for standardize in ("off", "on"):
            with self.subTest(standardize=standardize):
                tool = cli_json("hsic", "--x", wine_path("wine.csv"), "--labels", wine_path("wine_label.csv"),
                                "--device", "cpu", "--standardize", standardize)
                data = lwnet.standardize(X) if standardize == "on" else X
                self.assertEqual(lwnet.median_sigma(data, device="cpu"), tool["sigma"])
                code = lwnet.hsic(data, y, device="cpu", details=True)
                self.assertEqual(code.sigma, tool["sigma"])
                self.assertEqual(code.normalized, tool["hsic_normalized_code"])
                self.assertEqual(code.hsic, tool["hsic_unnormalized"])
                self.assertEqual(lwnet.hsic(data, y, normalized="textbook", device="cpu"),
                                 tool["hsic_normalized_textbook"])
                self.assertEqual(lwnet.hsic(data, y, normalized="none", device="cpu"), tool["hsic_unnormalized"])

    @needs_cli
    def test_given_width_and_seed(self):
        X, y = wine()
        tool = cli_json("hsic", "--x", wine_path("wine.csv"), "--labels", wine_path("wine_label.csv"), "--device",
                        "cpu", "--sigma", "2.5", "--standardize", "on")
        self.assertEqual(lwnet.hsic(lwnet.standardize(X), y, sigma=2.5, device="cpu"), tool["hsic_normalized_code"])
        tool = cli_json("hsic", "--x", wine_path("wine.csv"), "--labels", wine_path("wine_label.csv"), "--device",
                        "cpu", "--seed", "7")
        self.assertEqual(lwnet.median_sigma(lwnet.standardize(X), seed=7, device="cpu"), tool["sigma"])


class ImportOrder(unittest.TestCase):
    def test_lwnet_imports_and_runs_before_numpy_is_imported(self):
        # A fresh interpreter whose first import is lwnet: the extension's OpenBLAS must not take
        # the place of numpy's (docs: python/lwnet/__init__.py).
        import subprocess
        import sys
        code = "import lwnet; print(round(lwnet.hsic([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1], device='cpu'), 6))"
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stderr[-2000:])
        self.assertGreater(float(run.stdout), 0.0)


class Functions(unittest.TestCase):
    def setUp(self):
        X, self.y = wine()
        self.X = lwnet.standardize(X)

    def test_gram_against_numpy(self):
        K = lwnet.gram(self.X, sigma=2.0, device="cpu")
        self.assertEqual(K.shape, (178, 178))
        self.assertEqual(K.dtype, np.float32)
        np.testing.assert_array_equal(np.diag(K), np.ones(178, dtype=np.float32))  # self-pairs exactly 1
        np.testing.assert_allclose(K, numpy_gaussian_gram(self.X, self.X, 2.0), atol=2e-6)
        Kz = lwnet.gram(self.X, self.X[:5], sigma=2.0, device="cpu")
        self.assertEqual(Kz.shape, (5, 178))
        np.testing.assert_allclose(Kz, numpy_gaussian_gram(self.X[:5], self.X, 2.0), atol=2e-6)
        lin = lwnet.gram(self.X[:4], kernel="linear", device="cpu")
        np.testing.assert_allclose(lin, self.X[:4].astype(np.float64) @ self.X[:4].T.astype(np.float64), rtol=1e-5)

    def test_layouts_give_the_same_bits(self):
        base = lwnet.gram(self.X[::2, :7].copy(), sigma=1.5, device="cpu")
        strided = self.X[::2, :7]  # a view: rows 2 apart, leading 7 columns
        self.assertIs(as_matrix(strided), strided)  # taken as it is
        np.testing.assert_array_equal(lwnet.gram(strided, sigma=1.5, device="cpu"), base)
        fortran = np.asfortranarray(self.X[::2, :7])
        self.assertIsNot(as_matrix(fortran), fortran)
        np.testing.assert_array_equal(lwnet.gram(fortran, sigma=1.5, device="cpu"), base)
        as_double = self.X[::2, :7].astype(np.float64)
        np.testing.assert_array_equal(lwnet.gram(as_double, sigma=1.5, device="cpu"), base)
        np.testing.assert_array_equal(lwnet.gram(self.X[::2, :7].tolist(), sigma=1.5, device="cpu"), base)
        reversed_rows = self.X[::-2, :7]
        np.testing.assert_array_equal(lwnet.gram(reversed_rows, sigma=1.5, device="cpu"),
                                      lwnet.gram(reversed_rows.copy(), sigma=1.5, device="cpu"))

    def test_hsic_between_features(self):
        onehot = (self.y[:, None] == np.unique(self.y)[None, :]).astype(np.float32)
        # The linear kernel on one-hot labels is the labels' kernel of hsic(X, y).
        by_labels = lwnet.hsic(self.X, self.y, sigma=2.0, device="cpu", details=True)
        by_features = lwnet.hsic(self.X, onehot, sigma=2.0, y_kernel="linear", device="cpu", details=True)
        self.assertAlmostEqual(by_features.hsic, by_labels.hsic, delta=1e-6 * by_labels.hsic)
        self.assertAlmostEqual(by_features.normalized, by_labels.normalized, delta=1e-6)
        K = numpy_gaussian_gram(self.X, self.X, 2.0)
        L = onehot.astype(np.float64) @ onehot.T
        H = np.eye(178) - 1.0 / 178
        self.assertAlmostEqual(by_labels.hsic, np.trace(K @ H @ L @ H), delta=1e-5 * by_labels.hsic)

    def test_kme_against_numpy(self):
        classes, emb = lwnet.kme(self.X, self.y, sigma=2.0, device="cpu")
        np.testing.assert_array_equal(classes, [1, 2, 3])
        K = numpy_gaussian_gram(self.X, self.X, 2.0)
        expected = np.stack([K[:, self.y == c].mean(1) for c in classes], axis=1)
        np.testing.assert_allclose(emb, expected, atol=2e-6)
        _, at_z = lwnet.kme(self.X, self.y, self.X[:3], sigma=2.0, device="cpu")
        np.testing.assert_allclose(at_z, expected[:3], atol=2e-6)

    def test_devices_and_version(self):
        self.assertIn("cpu", lwnet.devices())
        self.assertRegex(lwnet.version(), r"^\d+\.\d+\.\d+$")
        self.assertEqual(lwnet.__version__, lwnet.version())
        p = lwnet.probe()
        self.assertEqual(p["usable"], p["device_count"] > 0)
        if not p["usable"]:
            self.assertTrue(p["reason"])
        b = lwnet.backend("cpu")
        self.assertEqual(b.device, "cpu")
        self.assertIs(lwnet.backend("cpu"), b)  # one per thread and device


class CallersStream(unittest.TestCase):
    """lwnet.cuda_backend(device, stream): a backend on the caller's CUDA stream, passed as device=."""

    def test_refusals_without_a_gpu(self):
        with self.assertRaisesRegex(TypeError, "give the CUDA stream"):
            lwnet.cuda_backend(0)
        with self.assertRaisesRegex(TypeError, "stream must be"):
            lwnet.cuda_backend(0, "stream")
        with self.assertRaisesRegex(TypeError, "lwnet.Backend"):
            lwnet.backend(3)
        cpu = lwnet.backend("cpu")
        self.assertIs(lwnet.backend(cpu), cpu)  # a Backend given as device is used as it is
        X = np.random.default_rng(0).standard_normal((20, 3)).astype(np.float32)
        np.testing.assert_array_equal(lwnet.gram(X, device=cpu), lwnet.gram(X, device="cpu"))
        with self.assertRaisesRegex(lwnet.InvalidArgument, "native_stream"):
            cpu.stream
        if lwnet.probe()["usable"]:
            return  # test_same_numbers_on_the_callers_stream covers the working path
        with self.assertRaisesRegex(lwnet.Unavailable, "cannot use cuda:0"):
            lwnet.cuda_backend(0, 0x10)

    def test_same_numbers_on_the_callers_stream(self):
        if not lwnet.probe()["usable"]:
            self.skipTest("no usable GPU: " + lwnet.probe()["reason"])
        try:
            import cupy
        except ImportError:
            self.skipTest("CuPy is not installed")
        stream = cupy.cuda.Stream(non_blocking=True)
        b = lwnet.cuda_backend(0, stream)
        self.assertEqual(b.stream, stream.ptr)
        X = np.random.default_rng(1).standard_normal((300, 5)).astype(np.float32)
        with stream:
            X_gpu = cupy.asarray(X)
        on_stream = lwnet.gram(X_gpu, sigma=1.5, device=b)
        own = lwnet.gram(X, sigma=1.5, device="cuda:0")
        np.testing.assert_array_equal(cupy.asnumpy(on_stream) if hasattr(on_stream, "device") else on_stream, own)


class CudaModuleBesideTheExtension(unittest.TestCase):
    """The CUDA backend module is found beside the extension (the loader looks beside the binary that
    holds lwnet, through dladdr): the package folder, in the build tree as after pip install."""

    def test_module_loaded_from_the_package_folder(self):
        import os
        p = lwnet.probe()
        if not p["compiled"]:
            self.skipTest("this build has no CUDA backend: " + p["reason"])
        package = os.path.dirname(os.path.realpath(lwnet._lwnet.__file__))
        self.assertTrue(os.path.exists(os.path.join(package, "liblwnet_cuda_backend.so")))
        with open("/proc/self/maps") as f:
            mapped = {line.split()[-1] for line in f if "liblwnet_cuda_backend" in line}
        if not mapped:
            self.skipTest("the CUDA module did not load here (no CUDA libraries?): " + p["reason"])
        self.assertEqual({os.path.dirname(os.path.realpath(m)) for m in mapped}, {package})


if __name__ == "__main__":
    unittest.main()
