// Configurations and models through the C API: a kme and a backprop fit on the wine data predict
// exactly what the C++ API's fits with the same options and seed predict; models survive a file
// round trip; bad keys, values, files and callbacks' cancellations give their statuses.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <unistd.h>
#include <string>
#include <vector>

#include "capi_test_data.hpp"

namespace lwnet::capi_test {
namespace {

void expect_refused(lwnet_status status, lwnet_status expected, const std::string& needle) {
  EXPECT_EQ(status, expected) << lwnet_status_string(status);
  EXPECT_NE(std::string(lwnet_last_error()).find(needle), std::string::npos)
      << "'" << lwnet_last_error() << "' lacks '" << needle << "'";
}

struct CConfig {
  lwnet_config* handle = nullptr;
  explicit CConfig(const char* method) {
    if (lwnet_config_create(method, &handle) != LWNET_OK) ADD_FAILURE() << lwnet_last_error();
  }
  ~CConfig() { lwnet_config_free(handle); }
  void set(const char* key, const char* value) {
    ASSERT_EQ(lwnet_config_set(handle, key, value), LWNET_OK) << lwnet_last_error();
  }
};

struct CModel {
  lwnet_model* handle = nullptr;
  ~CModel() { lwnet_model_free(handle); }
};

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "lwnet_capi_" + std::to_string(::getpid()) + "_" + name;
}

std::vector<int32_t> c_predict(lwnet_backend* backend, const lwnet_model* model, const Matrix<float>& X) {
  std::vector<int32_t> out(static_cast<std::size_t>(X.rows()), -1);
  const lwnet_matrix x = view_of(X);
  EXPECT_EQ(lwnet_model_predict(backend, model, &x, out.data(), X.rows()), LWNET_OK) << lwnet_last_error();
  return out;
}

Matrix<float> c_transform(lwnet_backend* backend, const lwnet_model* model, const Matrix<float>& X) {
  int64_t width = 0;
  EXPECT_EQ(lwnet_model_output_dim(model, &width), LWNET_OK);
  Matrix<float> out = Matrix<float>::host(X.rows(), width);
  const lwnet_matrix x = view_of(X), o = view_of(out);
  EXPECT_EQ(lwnet_model_transform(backend, model, &x, &o), LWNET_OK) << lwnet_last_error();
  return out;
}

TEST(CApiModels, KmeFitPredictsAsTheCppApiAndSurvivesAFile) {
  CBackend backend;
  auto cpu = make_cpu_backend();
  CConfig config("kme");
  config.set("seed", "7");
  config.set("max-layers", "3");
  config.set("sigma-count", "8");
  kme::TrainConfig cpp;
  cpp.options.seed = 7;
  cpp.options.max_layers = 3;
  cpp.options.sigma_count = 8;
  const Wine& w = wine();
  const kme::KmeModel expected = kme::train(*cpu, w.X.cview(), w.encoded, w.classes, cpp);

  const char* names[] = {"1", "2", "3"};
  CModel model;
  const lwnet_matrix x = view_of(w.X);
  ASSERT_EQ(lwnet_fit(backend, config.handle, &x, w.labels.data(), 178, 3, names, nullptr, nullptr, &model.handle),
            LWNET_OK)
      << lwnet_last_error();
  const std::vector<int> cpp_predicted = kme::predict(*cpu, expected, w.X.cview());
  const std::vector<int32_t> predicted = c_predict(backend, model.handle, w.X);
  EXPECT_EQ(std::vector<int>(predicted.begin(), predicted.end()), cpp_predicted);
  EXPECT_GT(accuracy(cpp_predicted, w.encoded.y), 0.9);
  const Matrix<float> features = c_transform(backend, model.handle, w.X);
  const Matrix<float> cpp_features = kme::transform(*cpu, expected, w.X.cview());
  ASSERT_EQ(features.cols(), cpp_features.cols());
  EXPECT_TRUE(bitwise_equal(features.data(), cpp_features.data(), features.size()));

  const char* method = nullptr;
  int32_t classes = 0;
  int64_t input_dim = 0;
  const char* name = nullptr;
  ASSERT_EQ(lwnet_model_method(model.handle, &method), LWNET_OK);
  EXPECT_STREQ(method, "kme");
  ASSERT_EQ(lwnet_model_num_classes(model.handle, &classes), LWNET_OK);
  EXPECT_EQ(classes, 3);
  ASSERT_EQ(lwnet_model_input_dim(model.handle, &input_dim), LWNET_OK);
  EXPECT_EQ(input_dim, 13);
  ASSERT_EQ(lwnet_model_class_name(model.handle, 2, &name), LWNET_OK);
  EXPECT_STREQ(name, "3");
  expect_refused(lwnet_model_class_name(model.handle, 3, &name), LWNET_INVALID_ARGUMENT, "class 3 is outside [0, 3)");

  // kme has no per-class scores.
  Matrix<float> scores = Matrix<float>::host(178, 3);
  const lwnet_matrix s = view_of(scores);
  expect_refused(lwnet_model_scores(backend, model.handle, &x, &s), LWNET_UNAVAILABLE, "no per-class scores");

  const std::string path = temp_path("kme.safetensors");
  ASSERT_EQ(lwnet_model_save(model.handle, path.c_str()), LWNET_OK) << lwnet_last_error();
  CModel loaded;
  ASSERT_EQ(lwnet_model_load(path.c_str(), &loaded.handle), LWNET_OK) << lwnet_last_error();
  EXPECT_EQ(c_predict(backend, loaded.handle, w.X), predicted);
  const Matrix<float> loaded_features = c_transform(backend, loaded.handle, w.X);
  EXPECT_TRUE(bitwise_equal(loaded_features.data(), features.data(), features.size()));
  std::remove(path.c_str());
}

TEST(CApiModels, BackpropFitPredictsAsTheCppApiAndSurvivesAFile) {
  CBackend backend;
  auto cpu = make_cpu_backend();
  CConfig config("backprop");
  config.set("arch", "dense:16x1");
  config.set("epochs", "4");
  config.set("batch-size", "32");
  config.set("optimizer", "adam");
  config.set("seed", "5");
  net::NetOptions cpp;
  cpp.arch = net::Architecture::parse("dense:16x1");
  cpp.epochs = 4;
  cpp.batch_size = 32;
  cpp.optimizer = net::OptimizerKind::adam;
  cpp.seed = 5;
  const Wine& w = wine();
  const net::NetModel expected = net::train(*cpu, w.X.cview(), w.encoded, w.classes, cpp);

  CModel model;
  const lwnet_matrix x = view_of(w.X);
  std::vector<lwnet_progress> epochs;
  const lwnet_progress_fn record = [](const lwnet_progress* p, void* data) {
    if (p->event == LWNET_PROGRESS_EPOCH) static_cast<std::vector<lwnet_progress>*>(data)->push_back(*p);
    return 0;
  };
  ASSERT_EQ(lwnet_fit(backend, config.handle, &x, w.labels.data(), 178, 3, nullptr, record, &epochs, &model.handle),
            LWNET_OK)
      << lwnet_last_error();
  ASSERT_EQ(epochs.size(), 4u);
  EXPECT_EQ(epochs.back().step, 4);
  EXPECT_EQ(epochs.back().steps, 4);
  EXPECT_TRUE(std::isfinite(epochs.back().loss));
  EXPECT_TRUE(std::isnan(epochs.back().hsic));

  const std::vector<int> cpp_predicted = net::predict(*cpu, expected, w.X.cview());
  const std::vector<int32_t> predicted = c_predict(backend, model.handle, w.X);
  EXPECT_EQ(std::vector<int>(predicted.begin(), predicted.end()), cpp_predicted);
  const Matrix<float> logits = net::outputs(*cpu, expected, w.X.cview());
  Matrix<float> scores = Matrix<float>::host(178, 3);
  const lwnet_matrix s = view_of(scores);
  ASSERT_EQ(lwnet_model_scores(backend, model.handle, &x, &s), LWNET_OK) << lwnet_last_error();
  EXPECT_TRUE(bitwise_equal(scores.data(), logits.data(), logits.size()));
  const Matrix<float> features = c_transform(backend, model.handle, w.X);
  EXPECT_TRUE(bitwise_equal(features.data(), logits.data(), logits.size()));
  const char* name = nullptr;
  ASSERT_EQ(lwnet_model_class_name(model.handle, 1, &name), LWNET_OK);
  EXPECT_STREQ(name, "1");  // no names given: "0", "1", ...

  const std::string path = temp_path("net.safetensors");
  ASSERT_EQ(lwnet_model_save(model.handle, path.c_str()), LWNET_OK) << lwnet_last_error();
  CModel loaded;
  ASSERT_EQ(lwnet_model_load(path.c_str(), &loaded.handle), LWNET_OK) << lwnet_last_error();
  const char* method = nullptr;
  ASSERT_EQ(lwnet_model_method(loaded.handle, &method), LWNET_OK);
  EXPECT_STREQ(method, "backprop");
  EXPECT_EQ(c_predict(backend, loaded.handle, w.X), predicted);
  std::remove(path.c_str());

  std::vector<int32_t> short_buffer(10);
  expect_refused(lwnet_model_predict(backend, model.handle, &x, short_buffer.data(), 10), LWNET_INVALID_ARGUMENT,
                 "predictions: room for 10 labels, X has 178 rows");
  Matrix<float> narrow = Matrix<float>::host(178, 2);
  const lwnet_matrix n = view_of(narrow);
  expect_refused(lwnet_model_scores(backend, model.handle, &x, &n), LWNET_INVALID_ARGUMENT, "out: must be 178x3");
}

// Every learning rule through the C API: the C++ API's model, bit for bit, and its name back.
TEST(CApiModels, EveryLearningRuleFitsAsTheCppApi) {
  CBackend backend;
  auto cpu = make_cpu_backend();
  const Wine& w = wine();
  const lwnet_matrix x = view_of(w.X);
  for (net::Method method : {net::Method::align_zero, net::Method::align_ada, net::Method::align_prop,
                             net::Method::fa, net::Method::dfa, net::Method::last_layer}) {
    const char* name = net::to_string(method);
    SCOPED_TRACE(name);
    CConfig config(name);
    config.set("arch", "dense:16x2:bn");
    config.set("epochs", "2");
    config.set("batch-size", "32");
    config.set("seed", "9");
    net::NetOptions cpp;
    cpp.method = method;
    cpp.arch = net::Architecture::parse("dense:16x2:bn");
    cpp.epochs = 2;
    cpp.batch_size = 32;
    cpp.seed = 9;
    const net::NetModel expected = net::train(*cpu, w.X.cview(), w.encoded, w.classes, cpp);
    CModel model;
    ASSERT_EQ(lwnet_fit(backend, config.handle, &x, w.labels.data(), 178, 3, nullptr, nullptr, nullptr, &model.handle),
              LWNET_OK)
        << lwnet_last_error();
    const char* fitted = nullptr;
    ASSERT_EQ(lwnet_model_method(model.handle, &fitted), LWNET_OK);
    EXPECT_STREQ(fitted, name);
    const Matrix<float> logits = net::outputs(*cpu, expected, w.X.cview());
    Matrix<float> scores = Matrix<float>::host(178, 3);
    const lwnet_matrix s = view_of(scores);
    ASSERT_EQ(lwnet_model_scores(backend, model.handle, &x, &s), LWNET_OK) << lwnet_last_error();
    EXPECT_TRUE(bitwise_equal(scores.data(), logits.data(), logits.size()));
  }
}

// The local kernel losses through the C API: each method starts from its own defaults (as
// net::defaults_for), and its own keys reach the trainer.
TEST(CApiModels, TheLayerWiseMethodsFitAsTheCppApi) {
  CBackend backend;
  auto cpu = make_cpu_backend();
  const Wine& w = wine();
  const lwnet_matrix x = view_of(w.X);
  for (net::Method method : {net::Method::dgl, net::Method::hsic_bottleneck}) {
    const char* name = net::to_string(method);
    SCOPED_TRACE(name);
    CConfig config(name);
    net::NetOptions cpp = net::defaults_for(method);
    config.set("arch", "dense:16x2:bn");
    config.set("epochs", "2");
    config.set("seed", "4");
    cpp.arch = net::Architecture::parse("dense:16x2:bn");
    cpp.epochs = 2;
    cpp.seed = 4;
    if (method == net::Method::dgl) {
      config.set("dgl-noise", "0.3");
      config.set("dgl-targets", "one-hot");
      cpp.dgl.noise = 0.3;
      cpp.dgl.center_targets = false;
    } else {
      config.set("hsic-sigma", "2");
      config.set("readout-epochs", "3");
      config.set("batch-size", "64");
      cpp.hsic.sigma = 2.0;
      cpp.hsic.readout_epochs = 3;
      cpp.batch_size = 64;
    }
    const net::NetModel expected = net::train(*cpu, w.X.cview(), w.encoded, w.classes, cpp);
    CModel model;
    ASSERT_EQ(lwnet_fit(backend, config.handle, &x, w.labels.data(), 178, 3, nullptr, nullptr, nullptr, &model.handle),
              LWNET_OK)
        << lwnet_last_error();
    const Matrix<float> logits = net::outputs(*cpu, expected, w.X.cview());
    Matrix<float> scores = Matrix<float>::host(178, 3);
    const lwnet_matrix s = view_of(scores);
    ASSERT_EQ(lwnet_model_scores(backend, model.handle, &x, &s), LWNET_OK) << lwnet_last_error();
    EXPECT_TRUE(bitwise_equal(scores.data(), logits.data(), logits.size()));
  }
  // A key of the other layer-wise method is refused, naming the method it belongs to.
  CConfig dgl("dgl");
  EXPECT_EQ(lwnet_config_set(dgl.handle, "hsic-beta", "3"), LWNET_INVALID_ARGUMENT);
  EXPECT_NE(std::string(lwnet_last_error()).find("applies to method hsic-bottleneck, not dgl"), std::string::npos)
      << lwnet_last_error();
}

TEST(CApiModels, AProgressCallbackCancelsEitherFit) {
  CBackend backend;
  const Wine& w = wine();
  const lwnet_matrix x = view_of(w.X);
  int calls = 0;
  const lwnet_progress_fn stop_at_second = [](const lwnet_progress*, void* data) {
    return ++*static_cast<int*>(data) >= 2 ? 1 : 0;
  };
  for (const char* method : {"kme", "backprop"}) {
    calls = 0;
    CConfig config(method);
    lwnet_model* model = nullptr;
    expect_refused(lwnet_fit(backend, config.handle, &x, w.labels.data(), 178, 3, nullptr, stop_at_second, &calls, &model),
                   LWNET_CANCELLED, "stopped by the progress callback");
    EXPECT_EQ(model, nullptr) << method;
    EXPECT_EQ(calls, 2) << method;
  }
}

TEST(CApiConfig, UnknownKeysAndBadValuesAreRefusedNamingThem) {
  CConfig kme("kme");
  CConfig net("backprop");
  expect_refused(lwnet_config_set(kme.handle, "epochz", "3"), LWNET_INVALID_ARGUMENT,
                 "unknown key 'epochz' (the keys of method kme: ");
  expect_refused(lwnet_config_set(kme.handle, "epochs", "3"), LWNET_INVALID_ARGUMENT,
                 "key 'epochs' applies to method backprop, not kme");
  expect_refused(lwnet_config_set(net.handle, "rho", "rff"), LWNET_INVALID_ARGUMENT,
                 "key 'rho' applies to method kme, not backprop");
  expect_refused(lwnet_config_set(net.handle, "epochs", "0"), LWNET_INVALID_ARGUMENT, "lwnet_config_set: key 'epochs', value '0': --epochs must be in [1, 1000000]");
  expect_refused(lwnet_config_set(net.handle, "epochs", "0x10"), LWNET_INVALID_ARGUMENT,
                 "key 'epochs', value '0x10': expected an integer");
  expect_refused(lwnet_config_set(net.handle, "epochs", "99999999999"), LWNET_INVALID_ARGUMENT, "out of range");
  expect_refused(lwnet_config_set(net.handle, "lr", "nan"), LWNET_INVALID_ARGUMENT, "key 'lr', value 'nan'");
  expect_refused(lwnet_config_set(net.handle, "lr", "0.1 "), LWNET_INVALID_ARGUMENT, "key 'lr', value '0.1 '");
  expect_refused(lwnet_config_set(net.handle, "arch", "dense:x"), LWNET_INVALID_ARGUMENT, "key 'arch', value 'dense:x'");
  expect_refused(lwnet_config_set(net.handle, "standardize", "separate"), LWNET_INVALID_ARGUMENT,
                 "key 'standardize', value 'separate'");
  expect_refused(lwnet_config_set(net.handle, "seed", "-1"), LWNET_INVALID_ARGUMENT, "key 'seed', value '-1'");
  expect_refused(lwnet_config_set(net.handle, "image", "28x28"), LWNET_INVALID_ARGUMENT, "key 'image', value '28x28'");
  expect_refused(lwnet_config_set(kme.handle, "hsic-threshold", "1.5"), LWNET_INVALID_ARGUMENT,
                 "key 'hsic-threshold', value '1.5'");
  expect_refused(lwnet_config_set(kme.handle, "extra-columns", "yes"), LWNET_INVALID_ARGUMENT, "expected on or off");
  expect_refused(lwnet_config_set(kme.handle, "noise", "-0.5"), LWNET_INVALID_ARGUMENT, "expected a number >= 0");
  expect_refused(lwnet_config_set(kme.handle, nullptr, "1"), LWNET_INVALID_ARGUMENT, "key is NULL");
  lwnet_config* none = nullptr;
  expect_refused(lwnet_config_create("svm", &none), LWNET_INVALID_ARGUMENT, "'svm'");
  EXPECT_EQ(none, nullptr);
  const char* method = nullptr;
  ASSERT_EQ(lwnet_config_method(net.handle, &method), LWNET_OK);
  EXPECT_STREQ(method, "backprop");
}

TEST(CApiConfig, ChecksOfSeveralOptionsOrOfTheDataComeAtFit) {
  CBackend backend;
  const Wine& w = wine();
  const lwnet_matrix x = view_of(w.X);
  lwnet_model* model = nullptr;
  {
    CConfig config("backprop");
    config.set("momentum", "0.5");
    config.set("optimizer", "adam");
    expect_refused(lwnet_fit(backend, config.handle, &x, w.labels.data(), 178, 3, nullptr, nullptr, nullptr, &model),
                   LWNET_INVALID_ARGUMENT, "momentum applies to optimizer sgd, not adam");
  }
  {
    CConfig config("backprop");
    config.set("arch", "conv:4:1");
    expect_refused(lwnet_fit(backend, config.handle, &x, w.labels.data(), 178, 3, nullptr, nullptr, nullptr, &model),
                   LWNET_INVALID_ARGUMENT, "needs each row as an image");
    config.set("image", "2x2x3");
    expect_refused(lwnet_fit(backend, config.handle, &x, w.labels.data(), 178, 3, nullptr, nullptr, nullptr, &model),
                   LWNET_INVALID_ARGUMENT, "image 2x2x3 is 12 values per sample, but X has 13 columns");
  }
  {
    CConfig config("kme");
    const char* names[] = {"a", nullptr, "c"};
    expect_refused(lwnet_fit(backend, config.handle, &x, w.labels.data(), 178, 3, names, nullptr, nullptr, &model),
                   LWNET_INVALID_ARGUMENT, "class_names[1] is NULL");
    expect_refused(lwnet_fit(backend, config.handle, &x, w.labels.data(), 178, 4, nullptr, nullptr, nullptr, &model),
                   LWNET_INVALID_ARGUMENT, "has no training samples");
  }
  EXPECT_EQ(model, nullptr);
}

TEST(CApiModels, AFileThatIsNoModelIsAnIoError) {
  const std::string path = temp_path("not_a_model.csv");
  std::ofstream(path) << "1,2,3\n4,5,6\n";
  lwnet_model* model = nullptr;
  expect_refused(lwnet_model_load(path.c_str(), &model), LWNET_IO_ERROR, "lwnet_model_load: " + path);
  EXPECT_EQ(model, nullptr);
  std::remove(path.c_str());
  expect_refused(lwnet_model_load(path.c_str(), &model), LWNET_IO_ERROR, path);
  expect_refused(lwnet_model_load(nullptr, &model), LWNET_INVALID_ARGUMENT, "path is NULL");
}

}  // namespace
}  // namespace lwnet::capi_test
