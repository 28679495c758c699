"""The scikit-learn estimators: the same data and seed give the predictions of `lwnet train` +
`lwnet predict` (kme and backprop), models travel through pickle, save / lwnet.load and the tool's
files, and the estimators work in Pipeline, cross_val_score and GridSearchCV."""
import os
import pickle
import tempfile
import unittest

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import lwnet
from lwnet_test_support import CLI, cli, cli_json, needs_cli, wine, wine_fold, wine_path

NET_PARAMS = dict(arch="dense:32x2", epochs=3, batch_size=16)


class AgainstTheTool(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.TemporaryDirectory(prefix="lwnet-py-")
        self.X, self.y, self.Xt, self.yt = wine_fold(1)

    def tearDown(self):
        self.work.cleanup()

    def tool_predictions(self, model, data):
        return np.array([int(p) for p in cli_json("predict", "--model", model, "--data", data)["predictions"]])

    def check_same_as_tool(self, estimator, tool_options):
        model = os.path.join(self.work.name, "tool.safetensors")
        cli("train", "--data", wine_path("wine_1.csv"), "--labels", wine_path("wine_1_label.csv"), "--seed", "3",
            "--device", "cpu", "--out", model, *tool_options)
        estimator.fit(self.X, self.y)
        for data, X in ((wine_path("wine_1_test.csv"), self.Xt), (wine_path("wine_1.csv"), self.X)):
            np.testing.assert_array_equal(estimator.predict(X), self.tool_predictions(model, data))
        # The tool's model, loaded in Python, predicts the same; the estimator's file, in the tool.
        loaded = lwnet.load(model)
        self.assertIsInstance(loaded, type(estimator))
        np.testing.assert_array_equal(loaded.predict(self.Xt), estimator.predict(self.Xt))
        self.assertEqual(loaded.random_state, 3)
        saved = os.path.join(self.work.name, "python.safetensors")
        estimator.save(saved)
        np.testing.assert_array_equal(self.tool_predictions(saved, wine_path("wine_1_test.csv")),
                                      estimator.predict(self.Xt))

    @needs_cli
    def test_kme_network(self):
        self.check_same_as_tool(lwnet.KMENetworkClassifier(random_state=3, device="cpu"), [])

    @needs_cli
    def test_every_learning_rule(self):
        for method in ("align-zero", "align-ada", "align-prop", "fa", "dfa", "last-layer"):
            with self.subTest(method=method):
                self.check_same_as_tool(
                    lwnet.LayerwiseClassifier(method=method, random_state=3, device="cpu", **NET_PARAMS),
                    ["--method", method, "--arch", "dense:32x2", "--epochs", "3", "--batch-size", "16"])

    @needs_cli
    def test_backprop_network(self):
        self.check_same_as_tool(lwnet.LayerwiseClassifier(random_state=3, device="cpu", **NET_PARAMS),
                                ["--method", "backprop", "--arch", "dense:32x2", "--epochs", "3", "--batch-size", "16"])


class Estimators(unittest.TestCase):
    def setUp(self):
        self.X, self.y = wine()

    def test_fit_predict_score_transform(self):
        kme = lwnet.KMENetworkClassifier(random_state=0, device="cpu").fit(self.X, self.y)
        self.assertGreater(kme.score(self.X, self.y), 0.9)
        np.testing.assert_array_equal(kme.classes_, [1, 2, 3])
        self.assertEqual(kme.n_features_in_, 13)
        self.assertEqual(kme.seed_, 0)
        self.assertEqual(kme.transform(self.X).shape[0], 178)
        self.assertGreaterEqual(len(kme.layers_), 1)
        self.assertFalse(hasattr(kme, "predict_proba"))

        net = lwnet.LayerwiseClassifier(random_state=0, device="cpu", **NET_PARAMS).fit(self.X, self.y)
        logits = net.transform(self.X)
        self.assertEqual(logits.shape, (178, 3))
        p = net.predict_proba(self.X)
        np.testing.assert_allclose(p.sum(1), 1.0)
        np.testing.assert_array_equal(net.classes_[p.argmax(1)], net.predict(self.X))
        self.assertEqual(len(net.history_), 3)
        self.assertFalse(hasattr(lwnet.LayerwiseClassifier(loss="mse"), "predict_proba"))

    def test_string_labels_and_random_state(self):
        names = np.array(["barolo", "grignolino", "barbera"])[self.y - 1]
        clf = lwnet.KMENetworkClassifier(random_state=np.random.RandomState(5), device="cpu").fit(self.X, names)
        np.testing.assert_array_equal(clf.classes_, ["barbera", "barolo", "grignolino"])
        self.assertTrue(set(clf.predict(self.X)) <= set(names))
        seed = np.random.RandomState(5).randint(0, np.iinfo(np.int64).max, dtype=np.int64)
        self.assertEqual(clf.seed_, int(seed))
        drawn = {lwnet.KMENetworkClassifier(max_layers=1, device="cpu").fit(self.X, self.y).seed_ for _ in range(3)}
        self.assertEqual(len(drawn), 3)  # None: a fresh seed each fit
        with self.assertRaises(ValueError):
            lwnet.KMENetworkClassifier(random_state=-1).fit(self.X, self.y)

    def test_pickle_and_save_round_trip(self):
        for clf in (lwnet.KMENetworkClassifier(random_state=1, device="cpu"),
                    lwnet.LayerwiseClassifier(random_state=1, device="cpu", **NET_PARAMS)):
            with self.subTest(type(clf).__name__):
                clf.fit(self.X, self.y)
                again = pickle.loads(pickle.dumps(clf))
                np.testing.assert_array_equal(again.predict(self.X), clf.predict(self.X))
                np.testing.assert_array_equal(again.transform(self.X), clf.transform(self.X))
                self.assertEqual(again.get_params(), clf.get_params())
                with tempfile.TemporaryDirectory() as folder:
                    path = os.path.join(folder, "m.safetensors")
                    clf.save(path)
                    loaded = lwnet.load(path)
                np.testing.assert_array_equal(loaded.predict(self.X), clf.predict(self.X))
                # A loaded model states the defaults it resolved (lr, momentum, ...) instead of None.
                resolved = ("device", "momentum", "lr", "optimizer", "weight_decay", "init")
                self.assertEqual({k: v for k, v in loaded.get_params().items() if k not in resolved},
                                 {k: v for k, v in clf.get_params().items() if k not in resolved})

    def test_layer_wise_methods_take_their_own_defaults_and_report_per_layer(self):
        dgl = lwnet.LayerwiseClassifier("dgl", arch="dense:16x2", epochs=2, random_state=3, device="cpu")
        dgl.fit(self.X, self.y)
        self.assertEqual([e["stage"] for e in dgl.history_], ["layer 1", "layer 1", "layer 2", "layer 2"])
        self.assertTrue(np.isnan(dgl.history_[0]["layer_losses"][1]))
        resolved = dgl.model_.params()
        self.assertEqual((resolved["optimizer"], resolved["init"], resolved["batch_size"]), ("adam", "torch", 64))
        self.assertGreater(np.mean(dgl.predict(self.X) == self.y), 0.8)

        hsic = lwnet.LayerwiseClassifier("hsic-bottleneck", arch="dense:16x2:bn", epochs=2, batch_size=64,
                                         hsic_output="unformatted", hsic_beta=300.0, lr=0.01, random_state=3,
                                         device="cpu").fit(self.X, self.y)
        self.assertEqual(len(hsic.history_), 2)  # no readout epochs
        self.assertEqual(hsic.model_.params()["weight_decay"], 1e-3)
        self.assertEqual(len(hsic.history_[-1]["layer_losses"]), 2)

        monitored = lwnet.LayerwiseClassifier(arch="dense:16x3", epochs=2, dgl_monitor=True, random_state=3,
                                              device="cpu").fit(self.X, self.y)
        self.assertEqual(len(monitored.history_[-1]["layer_losses"]), 3)
        self.assertTrue(all(np.isfinite(monitored.history_[-1]["layer_losses"])))
        with self.assertRaisesRegex(lwnet.Error, "--dgl-monitor reports DGL_l of a --method backprop run"):
            lwnet.LayerwiseClassifier("dgl", dgl_monitor=True, device="cpu").fit(self.X, self.y)
        with self.assertRaisesRegex(lwnet.Error, "hsic_output: expected 'format' or 'unformatted'"):
            lwnet.LayerwiseClassifier("hsic-bottleneck", hsic_output="both", device="cpu").fit(self.X, self.y)

    def test_params_and_clone(self):
        clf = lwnet.LayerwiseClassifier(arch="dense:8x1", lr=0.5, image=(1, 13, 1))
        self.assertEqual(clf.get_params()["arch"], "dense:8x1")
        clf.set_params(epochs=2)
        self.assertEqual(clone(clf).get_params(), clf.get_params())
        clf.fit(self.X, self.y)  # a dense net takes image= and flattens it
        self.assertAlmostEqual(clf.model_.learning_rate, 0.5)

    def test_pipeline_cross_validation_grid_search(self):
        pipe = make_pipeline(StandardScaler(), lwnet.KMENetworkClassifier(random_state=0, device="cpu"))
        scores = cross_val_score(pipe, self.X, self.y, cv=3)
        self.assertEqual(len(scores), 3)
        self.assertGreater(scores.mean(), 0.8)
        grid = GridSearchCV(lwnet.LayerwiseClassifier(random_state=0, device="cpu", arch="dense:16x1", epochs=2),
                            {"lr": [0.1, 1.0], "batch_size": [16, 32]}, cv=3)
        grid.fit(self.X, self.y)
        self.assertIn(grid.best_params_["lr"], (0.1, 1.0))
        self.assertGreater(grid.score(self.X, self.y), 0.5)


if __name__ == "__main__":
    unittest.main()
