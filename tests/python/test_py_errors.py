"""lwnet's errors reach Python as exceptions of the right class (lwnet.Error and its subclasses,
which are also the matching built-in ones) carrying lwnet's message; Python's own errors (a
callback's) come back unchanged."""
import os
import tempfile
import unittest

import numpy as np
from sklearn.exceptions import NotFittedError

import lwnet
from lwnet import _lwnet
from lwnet_test_support import wine


class Errors(unittest.TestCase):
    def setUp(self):
        self.X, self.y = wine()

    def test_hierarchy(self):
        self.assertTrue(issubclass(lwnet.Error, RuntimeError))
        self.assertTrue(issubclass(lwnet.InvalidArgument, lwnet.Error))
        self.assertTrue(issubclass(lwnet.InvalidArgument, ValueError))
        self.assertTrue(issubclass(lwnet.IoError, OSError))
        self.assertTrue(issubclass(lwnet.OutOfMemory, MemoryError))
        for cls in (lwnet.Unavailable, lwnet.NumericalError, lwnet.CudaError, lwnet.IoError, lwnet.OutOfMemory):
            self.assertTrue(issubclass(cls, lwnet.Error))
        self.assertEqual(lwnet.InvalidArgument.__module__, "lwnet")

    def test_invalid_arguments_name_what_is_wrong(self):
        with self.assertRaisesRegex(lwnet.InvalidArgument, "sigma"):
            lwnet.gram(self.X, sigma=0.0, device="cpu")
        with self.assertRaisesRegex(lwnet.InvalidArgument, "dense:0x2|width"):
            lwnet.LayerwiseClassifier(arch="dense:0x2", device="cpu").fit(self.X, self.y)
        with self.assertRaisesRegex(lwnet.InvalidArgument, "momentum applies to optimizer 'sgd'"):
            lwnet.LayerwiseClassifier(optimizer="adam", momentum=0.5, device="cpu").fit(self.X, self.y)
        with self.assertRaisesRegex(lwnet.InvalidArgument, "image 2x2x1 is 4 values per sample, but X has 13"):
            lwnet.LayerwiseClassifier(image="2x2x1", device="cpu").fit(self.X, self.y)
        with self.assertRaisesRegex(lwnet.InvalidArgument, "needs each row as an image"):
            lwnet.LayerwiseClassifier(arch="conv:4:1", device="cpu").fit(self.X, self.y)
        with self.assertRaisesRegex(lwnet.InvalidArgument, "rho"):
            lwnet.KMENetworkClassifier(rho="approximate", device="cpu").fit(self.X, self.y)
        with self.assertRaisesRegex(lwnet.InvalidArgument, "hsic_threshold|threshold"):
            lwnet.KMENetworkClassifier(hsic_threshold=1.5, device="cpu").fit(self.X, self.y)
        with self.assertRaisesRegex(lwnet.InvalidArgument, "max_layers: expected an integer"):
            lwnet.KMENetworkClassifier(max_layers="many", device="cpu").fit(self.X, self.y)
        with self.assertRaisesRegex(lwnet.InvalidArgument, "unknown option"):
            _lwnet.kme_train(lwnet.backend("cpu"), self.X, self.y.astype(np.int32) - 1, ["a", "b", "c"],
                             {"no_such_option": 1}, None)
        with self.assertRaises(ValueError):  # lwnet.InvalidArgument is a ValueError
            lwnet.backend("tpu")
        with self.assertRaisesRegex(ValueError, "2-D"):
            lwnet.gram(np.zeros(5, dtype=np.float32), device="cpu")
        with self.assertRaisesRegex(ValueError, "at least 2 classes"):
            lwnet.KMENetworkClassifier(device="cpu").fit(self.X, np.ones(178))

    def test_non_finite_data(self):
        bad = self.X.copy()
        bad[3, 4] = np.nan
        with self.assertRaisesRegex(lwnet.InvalidArgument, "non-finite"):
            lwnet.hsic(bad, self.y, sigma=1.0, device="cpu")
        with self.assertRaisesRegex(ValueError, "NaN"):  # scikit-learn's check, before lwnet
            lwnet.KMENetworkClassifier(device="cpu").fit(bad, self.y)

    def test_files(self):
        with tempfile.TemporaryDirectory() as folder:
            missing = os.path.join(folder, "none.safetensors")
            with self.assertRaises(lwnet.IoError) as caught:
                lwnet.load(missing)
            self.assertIsInstance(caught.exception, OSError)
            self.assertIn(missing, str(caught.exception))
            junk = os.path.join(folder, "junk.safetensors")
            with open(junk, "wb") as f:
                f.write(b"not a model at all")
            with self.assertRaisesRegex(lwnet.IoError, "junk.safetensors"):
                lwnet.load(junk)
            clf = lwnet.KMENetworkClassifier(random_state=0, max_layers=1, device="cpu").fit(self.X, self.y)
            with self.assertRaises(lwnet.IoError):
                clf.save(os.path.join(folder, "no", "such", "folder", "m.safetensors"))

    def test_unavailable_device(self):
        if lwnet.probe()["usable"]:
            self.skipTest("a GPU is usable here")
        with self.assertRaises(lwnet.Unavailable) as caught:
            lwnet.gram(self.X, device="cuda")
        self.assertTrue(str(caught.exception))

    def test_not_fitted_and_wrong_width(self):
        with self.assertRaises(NotFittedError):
            lwnet.KMENetworkClassifier().predict(self.X)
        clf = lwnet.KMENetworkClassifier(random_state=0, max_layers=1, device="cpu").fit(self.X, self.y)
        with self.assertRaisesRegex(ValueError, "X has 12 features"):
            clf.predict(self.X[:, :12])

    def test_callback_exception_reaches_the_caller(self):
        class Stop(Exception):
            pass

        def progress(event):
            raise Stop(event["event"])

        labels = (self.y - 1).astype(np.int32)
        with self.assertRaises(Stop):
            _lwnet.kme_train(lwnet.backend("cpu"), self.X, labels, ["1", "2", "3"], {}, progress)
        with self.assertRaises(Stop):
            _lwnet.net_train(lwnet.backend("cpu"), self.X, labels, ["1", "2", "3"], {"epochs": 2}, progress)
        events = []
        _lwnet.kme_train(lwnet.backend("cpu"), self.X, labels, ["1", "2", "3"], {"max_layers": 2}, events.append)
        self.assertIn("layer", [e["event"] for e in events])
        self.assertEqual(events[-1]["event"], "stopped")


if __name__ == "__main__":
    unittest.main()
