// Model files (save_model / load_model, io/model_io.cpp on the safetensors container):
//   - save -> load gives back every field (bitwise) and the same predictions;
//   - the file is safetensors: an 8-byte little-endian header length, a JSON header whose tensors
//     have dtype/shape/data_offsets (contiguous, covering the data) and whose __metadata__ maps
//     strings to strings — parsed here with nlohmann::json, independently of the reader;
//   - every kind of corruption gives IoError naming the file;
//   - writing is atomic: a missing folder or a failed write leaves no temporary file and keeps
//     the previous file intact; a successful write replaces the file by a rename; a process killed
//     mid-write leaves nothing (the bytes go to an unnamed file); symbolic links are written
//     through, and nothing but a regular file is ever replaced;
//   - hyperparameters outside KmeOptions' bounds are refused when saving's counterpart loads them.
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "kme_models.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/kme.hpp"
#include "test_data.hpp"

namespace lwnet::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// ---- a test-side view of the container ----------------------------------------------------------

std::uint64_t header_length(const std::string& bytes) {
  std::uint64_t n = 0;
  for (int b = 0; b < 8; ++b) n |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[static_cast<std::size_t>(b)])) << (8 * b);
  return n;
}

std::string length_prefix(std::uint64_t n) {
  std::string p(8, '\0');
  for (int b = 0; b < 8; ++b) p[static_cast<std::size_t>(b)] = static_cast<char>((n >> (8 * b)) & 0xff);
  return p;
}

struct Container {
  json header;       // tensors and __metadata__
  std::string data;  // the bytes after the header
};

Container split(const std::string& bytes) {
  const std::uint64_t n = header_length(bytes);
  return {json::parse(bytes.substr(8, n)), bytes.substr(8 + n)};
}

std::string join(const json& header, const std::string& data) {
  const std::string text = header.dump();
  return length_prefix(text.size()) + text + data;
}

// Tensors by name with their bytes, re-laid out contiguously by pack(): for edits that change a
// tensor's size or remove it while keeping the container itself valid.
struct Tensor {
  std::string dtype;
  json shape;
  std::string bytes;
};
struct Tensors {
  std::map<std::string, Tensor> tensors;
  json metadata;
};

Tensors unpack(const std::string& file) {
  const Container c = split(file);
  Tensors t;
  for (const auto& [name, entry] : c.header.items()) {
    if (name == "__metadata__") {
      t.metadata = entry;
      continue;
    }
    const auto begin = entry["data_offsets"][0].get<std::size_t>();
    const auto end = entry["data_offsets"][1].get<std::size_t>();
    t.tensors[name] = {entry["dtype"].get<std::string>(), entry["shape"], c.data.substr(begin, end - begin)};
  }
  return t;
}

std::string pack(const Tensors& t) {
  json header = json::object();
  std::string data;
  for (const auto& [name, tensor] : t.tensors) {
    header[name] = {{"dtype", tensor.dtype}, {"shape", tensor.shape}, {"data_offsets", {data.size(), data.size() + tensor.bytes.size()}}};
    data += tensor.bytes;
  }
  header["__metadata__"] = t.metadata;
  return join(header, data);
}

// IoError whose message names `path` and, apart from the path, contains `needle`.
template <class F>
::testing::AssertionResult io_error_naming(F&& f, const std::string& path, const std::string& needle) {
  try {
    f();
  } catch (const IoError& e) {
    std::string msg = e.what();
    if (msg.find(path) == std::string::npos)
      return ::testing::AssertionFailure() << "message \"" << msg << "\" does not name " << path;
    for (std::size_t at; (at = msg.find(path)) != std::string::npos;) msg.erase(at, path.size());
    if (msg.find(needle) == std::string::npos)
      return ::testing::AssertionFailure() << "message \"" << e.what() << "\" does not say \"" << needle << "\"";
    return ::testing::AssertionSuccess() << "threw: " << e.what();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw something else: " << e.what();
  }
  return ::testing::AssertionFailure() << "did not throw";
}

template <class T>
void set_element(std::string& bytes, std::size_t index, T value) {
  std::memcpy(bytes.data() + index * sizeof(T), &value, sizeof(T));  // little-endian host (the format's order)
}

// ---- the fixture -----------------------------------------------------------------------------------

class CpuModelIo : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / ("lwnet_model_io_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Files in the test's folder whose names start with `prefix` (temporaries: "<name>.tmp...").
  std::vector<std::string> entries_starting_with(const std::string& prefix) const {
    std::vector<std::string> found;
    for (const auto& e : fs::directory_iterator(dir_)) {
      const std::string name = e.path().filename().string();
      if (name.rfind(prefix, 0) == 0) found.push_back(name);
    }
    return found;
  }

  // Wine fold 8, preprocessed with the training statistics (so they are saved): five layers, the
  // later ones with extra columns. knn_k and rff_features are set away from their defaults
  // (neither changes the fit here) so that a lost option shows.
  static kme::KmeModel wine_model(Backend& backend, Fold& fold) {
    fold = read_fold(fold_stem("wine"), 8);
    const LabelEncoding enc = encode_labels(fold.train.labels);
    kme::TrainConfig config = reference_protocol();
    config.standardize = StandardizeMode::train;
    config.options.knn_k = 7;
    config.options.rff_features = 123;
    kme::KmeModel model = kme::train(backend, fold.train.X.cview(), enc.labels, enc.classes, config);
    EXPECT_GE(model.layers.size(), 3u);
    bool extras = false;
    for (const auto& layer : model.layers) extras = extras || !layer.extra_rows.empty();
    EXPECT_TRUE(extras) << "the saved model should hold extra columns";
    return model;
  }

  // A zero-layer model with awkward class names (quotes, a comma, a backslash, UTF-8), no
  // standardisation and the mean predictor.
  static kme::KmeModel small_model(Backend& backend) {
    TestRandom rng(7);
    const Labels labels = rng.labels(12, 3);
    const Matrix<float> X = rng.clustered(labels, 2, 0.1);
    kme::TrainConfig config;
    config.standardize = StandardizeMode::none;
    config.options.max_layers = 0;
    config.options.predictor = kme::Predictor::mean;
    return kme::train(backend, X.cview(), labels, {"a \"quoted\" name", "comma,\\back", "\xc3\xa9t\xc3\xa9"}, config);
  }

  fs::path dir_;
};

TEST_F(CpuModelIo, SaveThenLoadGivesBackEveryFieldAndThePredictions) {
  auto backend = training_backend();
  Fold fold;
  const kme::KmeModel model = wine_model(*backend, fold);
  const std::string file = path("wine.lwnet");
  kme::save_model(model, file);
  const kme::KmeModel loaded = kme::load_model(file);
  EXPECT_TRUE(same_model(loaded, model, false));
  ASSERT_EQ(loaded.layers.size(), model.layers.size());
  for (std::size_t l = 0; l < model.layers.size(); ++l)
    EXPECT_TRUE(same_bits(loaded.layers[l].seconds, model.layers[l].seconds)) << "layer " << l + 1 << " seconds";
  // fit_seconds is metadata text with six decimals (std::to_string): equal to within 5e-7 s.
  EXPECT_NEAR(loaded.fit_seconds, model.fit_seconds, 5e-7);
  EXPECT_FALSE(loaded.statistics.mean.empty());

  EXPECT_EQ(kme::predict(*backend, loaded, fold.test.X.cview()), kme::predict(*backend, model, fold.test.X.cview()));
  EXPECT_TRUE(same_matrix(kme::transform(*backend, loaded, fold.test.X.cview()), kme::transform(*backend, model, fold.test.X.cview())));
  EXPECT_TRUE(same_matrix(kme::transform(*backend, loaded, fold.train.X.cview()), kme::transform(*backend, model, fold.train.X.cview())));

  const kme::KmeModel small = small_model(*backend);
  const std::string small_file = path("small.lwnet");
  kme::save_model(small, small_file);
  const kme::KmeModel small_loaded = kme::load_model(small_file);
  EXPECT_TRUE(same_model(small_loaded, small, false));
  EXPECT_TRUE(small_loaded.layers.empty());
  EXPECT_EQ(small_loaded.classes[2], "\xc3\xa9t\xc3\xa9");
  EXPECT_EQ(kme::predict(*backend, small_loaded, small.train_outputs.cview()), kme::predict(*backend, small, small.train_outputs.cview()));
}

TEST_F(CpuModelIo, TheFileIsSafetensors) {
  auto backend = training_backend();
  Fold fold;
  const kme::KmeModel model = wine_model(*backend, fold);
  const std::string file = path("wine.lwnet");
  kme::save_model(model, file);
  const std::string bytes = read_bytes(file);
  ASSERT_GE(bytes.size(), 8u);
  const std::uint64_t n = header_length(bytes);
  ASSERT_LE(8 + n, bytes.size());
  EXPECT_EQ((8 + n) % 8, 0u) << "the data start 8-byte aligned (the header is space-padded)";
  const json header = json::parse(bytes.substr(8, n));  // throws (fails the test) unless JSON
  ASSERT_TRUE(header.is_object());

  // Tensors: known dtypes, sizes matching shapes, offsets back to back covering the data.
  const std::map<std::string, std::size_t> dtype_size{{"F32", 4}, {"F64", 8}, {"I32", 4}, {"I64", 8}};
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    SCOPED_TRACE(name);
    ASSERT_TRUE(entry.contains("dtype") && entry.contains("shape") && entry.contains("data_offsets"));
    ASSERT_EQ(dtype_size.count(entry["dtype"].get<std::string>()), 1u);
    std::uint64_t elements = 1;
    for (const auto& dim : entry["shape"]) elements *= dim.get<std::uint64_t>();
    const auto offsets = entry["data_offsets"].get<std::vector<std::uint64_t>>();
    ASSERT_EQ(offsets.size(), 2u);
    EXPECT_EQ(offsets[1] - offsets[0], elements * dtype_size.at(entry["dtype"].get<std::string>()));
    ranges.emplace_back(offsets[0], offsets[1]);
  }
  std::sort(ranges.begin(), ranges.end());
  std::uint64_t expected = 0;
  for (const auto& [begin, end] : ranges) {
    EXPECT_EQ(begin, expected);
    expected = end;
  }
  EXPECT_EQ(expected, bytes.size() - 8 - n) << "the tensors cover the data exactly";

  // Metadata: strings only, with the format, its version and the classes as a JSON array.
  ASSERT_TRUE(header.contains("__metadata__"));
  const json& meta = header["__metadata__"];
  ASSERT_TRUE(meta.is_object());
  for (const auto& [key, value] : meta.items()) EXPECT_TRUE(value.is_string()) << "metadata " << key;
  EXPECT_EQ(meta["format"], "lwnet.kme");
  EXPECT_EQ(meta["format_version"], std::to_string(kme::KmeModel::kFormatVersion));
  EXPECT_EQ(json::parse(meta["classes"].get<std::string>()).get<std::vector<std::string>>(), model.classes);
  const json hyper = json::parse(meta["hyperparameters"].get<std::string>());
  EXPECT_EQ(hyper["knn_k"], 7);
  EXPECT_EQ(hyper["standardize"], "train");
  EXPECT_EQ(meta["layers"], std::to_string(model.layers.size()));

  // Two tensors read back by hand: the labels (I32 [n]) and Z^L (F32 [n, m_L]), little-endian.
  const std::string data = bytes.substr(8 + n);
  const json& labels = header["train.labels"];
  EXPECT_EQ(labels["dtype"], "I32");
  EXPECT_EQ(labels["shape"], json::array({model.num_train()}));
  std::vector<std::int32_t> y(static_cast<std::size_t>(model.num_train()));
  std::memcpy(y.data(), data.data() + labels["data_offsets"][0].get<std::size_t>(), y.size() * 4);
  EXPECT_EQ(std::vector<int>(y.begin(), y.end()), model.train_labels);
  const json& outputs = header["train.outputs"];
  EXPECT_EQ(outputs["dtype"], "F32");
  EXPECT_EQ(outputs["shape"], json::array({model.train_outputs.rows(), model.train_outputs.cols()}));
  EXPECT_EQ(std::memcmp(data.data() + outputs["data_offsets"][0].get<std::size_t>(), model.train_outputs.data(),
                        static_cast<std::size_t>(model.train_outputs.size()) * 4),
            0);
  EXPECT_TRUE(header.contains("preprocess.mean"));
  EXPECT_TRUE(header.contains("layer.5.extra_rows"));
}

TEST_F(CpuModelIo, CorruptFilesGiveIoErrorNamingTheFile) {
  auto backend = training_backend();
  Fold fold;
  const kme::KmeModel model = wine_model(*backend, fold);
  const std::string good_file = path("good.lwnet");
  kme::save_model(model, good_file);
  const std::string good = read_bytes(good_file);
  ASSERT_NO_THROW(kme::load_model(good_file));
  const std::uint64_t n = header_length(good);
  const auto rows = static_cast<std::uint64_t>(model.num_train());

  // Each edit of the valid file, with a word the error must contain besides the path.
  struct Corruption {
    std::string name;
    std::function<std::string()> make;
    std::string needle;
  };
  auto edit_header = [&](const std::function<void(json&)>& f) {
    Container c = split(good);
    f(c.header);
    return join(c.header, c.data);
  };
  auto edit_tensors = [&](const std::function<void(Tensors&)>& f) {
    Tensors t = unpack(good);
    f(t);
    return pack(t);
  };
  const std::vector<Corruption> corruptions = {
      {"empty", [] { return std::string(); }, "fewer than"},
      {"shorter than the length", [&] { return good.substr(0, 5); }, "fewer than"},
      {"truncated data", [&] { return good.substr(0, good.size() - 100); }, "outside the"},
      {"truncated header", [&] { return good.substr(0, 8 + n / 2); }, "header claims"},
      {"header length larger than the file", [&] { return length_prefix(good.size()) + good.substr(8); }, "header claims"},
      {"header length 2^63", [&] { return length_prefix(std::uint64_t{1} << 63) + good.substr(8); }, "header claims"},
      {"header not JSON", [&] { return length_prefix(n) + "{\"a\": " + std::string(n - 6, ' ') + good.substr(8 + n); }, "not JSON"},
      {"header not an object", [&] { return length_prefix(n) + "[1, 2]" + std::string(n - 6, ' ') + good.substr(8 + n); }, "object"},
      {"two tensors at the same offsets",
       [&] { return edit_header([](json& h) { h["layers.sigma_beta"]["data_offsets"] = h["layers.sigma"]["data_offsets"]; }); },
       "overlaps"},
      {"overlapping offsets without a gap",
       [&] {
         // The last tensor moved 8 bytes back over its predecessor and the data shortened by 8:
         // the ranges still cover the data exactly, only their overlap is wrong.
         Container c = split(good);
         std::string last;
         std::uint64_t last_begin = 0;
         for (const auto& [name, e] : c.header.items())
           if (name != "__metadata__" && e["data_offsets"][0].get<std::uint64_t>() >= last_begin)
             last = name, last_begin = e["data_offsets"][0].get<std::uint64_t>();
         const auto end = c.header[last]["data_offsets"][1].get<std::uint64_t>();
         EXPECT_GE(last_begin, 8u);
         c.header[last]["data_offsets"] = {last_begin - 8, end - 8};
         c.data.resize(c.data.size() - 8);
         return join(c.header, c.data);
       },
       "overlaps"},
      {"gap in offsets",
       [&] {
         Container c = split(good);
         std::string last;
         std::uint64_t last_begin = 0;
         for (const auto& [name, e] : c.header.items())
           if (name != "__metadata__" && e["data_offsets"][0].get<std::uint64_t>() >= last_begin)
             last = name, last_begin = e["data_offsets"][0].get<std::uint64_t>();
         const auto end = c.header[last]["data_offsets"][1].get<std::uint64_t>();
         c.header[last]["data_offsets"] = {last_begin + 8, end + 8};
         c.data.insert(static_cast<std::size_t>(last_begin), 8, '\0');
         return join(c.header, c.data);
       },
       "gap"},
      {"bytes beyond the tensors", [&] { return good + std::string(8, '\0'); }, "cover"},
      {"offsets disagree with the shape",
       [&] { return edit_header([&](json& h) { h["train.labels"]["shape"] = {rows + 1}; }); }, "bytes"},
      {"wrong dtype", [&] { return edit_header([](json& h) { h["train.labels"]["dtype"] = "F32"; }); }, "expected I32"},
      {"unsupported dtype", [&] { return edit_header([](json& h) { h["layers.hsic"]["dtype"] = "BF16"; }); }, "BF16"},
      {"metadata value not a string", [&] { return edit_header([](json& h) { h["__metadata__"]["input_dim"] = 13; }); }, "not a string"},
      {"missing tensor", [&] { return edit_tensors([](Tensors& t) { t.tensors.erase("layer.2.rho"); }); }, "layer.2.rho"},
      {"missing metadata", [&] { return edit_tensors([](Tensors& t) { t.metadata.erase("classes"); }); }, "classes"},
      {"wrong format", [&] { return edit_tensors([](Tensors& t) { t.metadata["format"] = "other"; }); }, "not an lwnet model"},
      {"wrong format_version", [&] { return edit_tensors([](Tensors& t) { t.metadata["format_version"] = "2"; }); }, "version 2"},
      {"hyperparameters not JSON", [&] { return edit_tensors([](Tensors& t) { t.metadata["hyperparameters"] = "{"; }); }, "hyperparameters"},
      {"invalid option",
       [&] {
         return edit_tensors([](Tensors& t) {
           json h = json::parse(t.metadata["hyperparameters"].get<std::string>());
           h["knn_k"] = 65;
           t.metadata["hyperparameters"] = h.dump();
         });
       },
       "knn_k"},
      {"layer count disagrees", [&] { return edit_tensors([](Tensors& t) { t.metadata["layers"] = "4"; }); }, "layers"},
      {"train.labels one row short",
       [&] {
         return edit_tensors([&](Tensors& t) {
           t.tensors["train.labels"].shape = {rows - 1};
           t.tensors["train.labels"].bytes.resize(t.tensors["train.labels"].bytes.size() - 4);
         });
       },
       "layer.1.input"},
      {"train.outputs one column wide",
       [&] {
         return edit_tensors([&](Tensors& t) {
           Tensor& o = t.tensors["train.outputs"];
           o.shape[1] = o.shape[1].get<std::int64_t>() + 1;
           o.bytes += std::string(static_cast<std::size_t>(rows) * 4, '\0');
         });
       },
       "train.outputs"},
      {"a label out of range",
       [&] { return edit_tensors([](Tensors& t) { set_element<std::int32_t>(t.tensors["train.labels"].bytes, 3, 3); }); },
       "label"},
      {"an extra row index out of range",
       [&] {
         return edit_tensors([&](Tensors& t) {
           set_element<std::int64_t>(t.tensors["layer.3.extra_rows"].bytes, 0, static_cast<std::int64_t>(rows));
         });
       },
       "outside [0, n)"},
      {"a negative extra row index",
       [&] { return edit_tensors([](Tensors& t) { set_element<std::int64_t>(t.tensors["layer.4.extra_rows"].bytes, 0, -1); }); },
       "outside [0, n)"},
      {"a non-finite stored input",
       [&] { return edit_tensors([](Tensors& t) { set_element<float>(t.tensors["layer.2.input"].bytes, 5, NAN); }); },
       "non-finite"},
      {"a zero rho", [&] { return edit_tensors([](Tensors& t) { set_element<double>(t.tensors["layer.1.rho"].bytes, 1, 0.0); }); }, "rho"},
  };
  for (const Corruption& c : corruptions) {
    SCOPED_TRACE(c.name);
    const std::string file = path("corrupt.lwnet");
    write_bytes(file, c.make());
    EXPECT_TRUE(io_error_naming([&] { kme::load_model(file); }, file, c.needle));
  }
  const std::string missing = path("missing.lwnet");
  EXPECT_TRUE(io_error_naming([&] { kme::load_model(missing); }, missing, "cannot open"));
  // The editing helpers themselves keep a valid file valid.
  write_bytes(path("repacked.lwnet"), edit_tensors([](Tensors&) {}));
  EXPECT_NO_THROW(kme::load_model(path("repacked.lwnet")));
}

TEST_F(CpuModelIo, ClassNamesThatAreNotUtf8) {
  // Label files are read as bytes (e.g. Latin-1 "\xe9t\xe9"); the JSON metadata holds UTF-8 only.
  // Saving must either round-trip the names or refuse with an lwnet error naming the file.
  auto backend = training_backend();
  kme::KmeModel model = small_model(*backend);
  model.classes[2] = "\xe9t\xe9";
  const std::string file = path("latin1.lwnet");
  try {
    kme::save_model(model, file);
    EXPECT_EQ(kme::load_model(file).classes, model.classes);
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "a non-lwnet exception escaped save_model: " << e.what();
  }
  EXPECT_TRUE(entries_starting_with("latin1.lwnet.tmp").empty());
}

TEST_F(CpuModelIo, WritingIntoAMissingFolderFailsCleanly) {
  auto backend = training_backend();
  const kme::KmeModel model = small_model(*backend);
  const std::string file = path("no_such_folder") + "/model.lwnet";
  EXPECT_TRUE(throws_with<IoError>([&] { kme::save_model(model, file); }, {file}));
  EXPECT_FALSE(fs::exists(path("no_such_folder")));
  EXPECT_TRUE(entries_starting_with("").empty()) << "nothing was written beside it";

  // A path that is a folder: the temporary file can be written, the rename cannot; it is removed.
  fs::create_directories(path("a_folder"));
  EXPECT_TRUE(throws_with<IoError>([&] { kme::save_model(model, path("a_folder")); }, {path("a_folder")}));
  EXPECT_EQ(entries_starting_with("a_folder"), std::vector<std::string>{"a_folder"}) << "a temporary file was left";
}

TEST_F(CpuModelIo, AnExistingFileIsReplacedAtomically) {
  auto backend = training_backend();
  Fold fold;
  const kme::KmeModel first = wine_model(*backend, fold);
  const kme::KmeModel second = small_model(*backend);
  const std::string file = path("model.lwnet");
  kme::save_model(first, file);
  const std::string first_bytes = read_bytes(file);

  // Replacing by a rename: a reader that opened the old file keeps reading the old content.
  std::ifstream reader(file, std::ios::binary);
  ASSERT_TRUE(reader.good());
  kme::save_model(second, file);
  const std::string seen_by_reader((std::istreambuf_iterator<char>(reader)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(seen_by_reader == first_bytes) << "the old file was rewritten in place, not replaced";
  EXPECT_TRUE(same_model(kme::load_model(file), second, false));
  const std::string second_bytes = read_bytes(file);
  EXPECT_EQ(entries_starting_with("model.lwnet"), std::vector<std::string>{"model.lwnet"});

  // A write that fails part-way (file size limit: EFBIG, even for root) leaves the old file as it
  // was and no temporary file.
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = 1024;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  bool threw_io_error = false;
  std::string message;
  try {
    kme::save_model(first, file);  // ~60 KB: well past the limit
  } catch (const IoError& e) {
    threw_io_error = true;
    message = e.what();
  } catch (...) {
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_TRUE(threw_io_error) << "a write past the file size limit did not throw IoError";
  EXPECT_NE(message.find(file), std::string::npos) << message;
  EXPECT_TRUE(read_bytes(file) == second_bytes) << "the previous file was damaged by the failed write";
  EXPECT_EQ(entries_starting_with("model.lwnet"), std::vector<std::string>{"model.lwnet"}) << "a temporary file was left";
  EXPECT_TRUE(same_model(kme::load_model(file), second, false));
}

TEST_F(CpuModelIo, NonModelFilesAreDescribedInLwnetsOwnWords) {
  // A file of zero bytes (its length field says 0), a header that is not JSON, a directory: each
  // message names the file and says what is wrong, never the JSON library's internals (nor a
  // size read from a directory).
  write_bytes(path("zeros.lwnet"), std::string(1000, '\0'));
  EXPECT_TRUE(io_error_naming([&] { kme::load_model(path("zeros.lwnet")); }, path("zeros.lwnet"), "header length is 0"));
  write_bytes(path("not_json.lwnet"), length_prefix(16) + "{\"a\": tru}      ");
  EXPECT_TRUE(io_error_naming([&] { kme::load_model(path("not_json.lwnet")); }, path("not_json.lwnet"),
                              "16-byte header is not JSON (it goes wrong at byte "));
  fs::create_directories(path("folder.lwnet"));
  EXPECT_TRUE(io_error_naming([&] { kme::load_model(path("folder.lwnet")); }, path("folder.lwnet"), "is a directory"));
  for (const char* name : {"zeros.lwnet", "not_json.lwnet", "folder.lwnet"}) {
    try {
      kme::load_model(path(name));
    } catch (const IoError& e) {
      EXPECT_EQ(std::string(e.what()).find("json.exception"), std::string::npos) << e.what();
    }
  }
}

TEST_F(CpuModelIo, AProcessKilledWhileWritingLeavesNoFile) {
  // The file-size limit with SIGXFSZ at its default action kills the writer part-way through the
  // file, as SIGKILL would: no model and no temporary file may be left, and an existing model
  // stays as it was.
  auto backend = training_backend();
  Fold fold;
  const kme::KmeModel model = wine_model(*backend, fold);  // ~60 KB
  const kme::KmeModel small = small_model(*backend);
  const std::string file = path("model.lwnet");
  for (const bool existing : {false, true}) {
    if (existing) kme::save_model(small, file);
    const std::string before = existing ? read_bytes(file) : "";
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      std::signal(SIGXFSZ, SIG_DFL);
      struct rlimit small_limit {};
      ::getrlimit(RLIMIT_FSIZE, &small_limit);
      small_limit.rlim_cur = 4096;
      ::setrlimit(RLIMIT_FSIZE, &small_limit);
      try {
        kme::save_model(model, file);
      } catch (...) {
      }
      ::_exit(0);  // not reached: the write past the limit kills the process
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ) << "the writer was not killed mid-write";
    if (existing) {
      EXPECT_EQ(entries_starting_with(""), std::vector<std::string>{"model.lwnet"}) << "a temporary file was left";
      EXPECT_TRUE(read_bytes(file) == before) << "the existing model was damaged";
    } else {
      EXPECT_TRUE(entries_starting_with("").empty()) << "a killed write left a file behind";
    }
  }
}

TEST_F(CpuModelIo, WritesThroughSymbolicLinksAndReplacesOnlyRegularFiles) {
  auto backend = training_backend();
  const kme::KmeModel model = small_model(*backend);
  fs::create_directories(path("links"));
  fs::create_directories(path("real"));
  // A relative link to a file that does not exist yet, and a link to that link.
  fs::create_symlink("../real/model.lwnet", path("links/model.lwnet"));
  fs::create_symlink(path("links/model.lwnet"), path("links/chain.lwnet"));
  kme::save_model(model, path("links/chain.lwnet"));
  EXPECT_TRUE(fs::is_symlink(path("links/model.lwnet")) && fs::is_symlink(path("links/chain.lwnet")));
  ASSERT_TRUE(fs::is_regular_file(fs::symlink_status(path("real/model.lwnet"))));
  EXPECT_TRUE(same_model(kme::load_model(path("real/model.lwnet")), model, false));
  // Replacing keeps the file's permissions.
  ASSERT_EQ(::chmod(path("real/model.lwnet").c_str(), 0600), 0);
  kme::save_model(model, path("links/model.lwnet"));
  struct stat status {};
  ASSERT_EQ(::stat(path("real/model.lwnet").c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 07777, 0600u);
  // A directory, a named pipe, and links to them are refused, and left as they were.
  ASSERT_EQ(::mkfifo(path("real/pipe").c_str(), 0600), 0);
  fs::create_symlink("../real/pipe", path("links/pipe"));
  fs::create_symlink("../real", path("links/folder"));
  EXPECT_TRUE(io_error_naming([&] { kme::save_model(model, path("real")); }, path("real"), "is a directory"));
  EXPECT_TRUE(io_error_naming([&] { kme::save_model(model, path("links/folder")); }, path("links/folder"), "is a directory"));
  EXPECT_TRUE(io_error_naming([&] { kme::save_model(model, path("real/pipe")); }, path("real/pipe"), "is a named pipe"));
  EXPECT_TRUE(io_error_naming([&] { kme::save_model(model, path("links/pipe")); }, path("links/pipe"), "is a named pipe"));
  EXPECT_TRUE(fs::is_fifo(path("real/pipe")));
  EXPECT_TRUE(fs::is_symlink(path("links/pipe")) && fs::is_symlink(path("links/folder")));
  // A loop of links.
  fs::create_symlink("loop_b", path("links/loop_a"));
  fs::create_symlink("loop_a", path("links/loop_b"));
  EXPECT_TRUE(io_error_naming([&] { kme::save_model(model, path("links/loop_a")); }, path("links/loop_a"),
                              "too many levels of symbolic links"));
  std::vector<std::string> real;
  for (const auto& e : fs::directory_iterator(path("real"))) real.push_back(e.path().filename().string());
  std::sort(real.begin(), real.end());
  EXPECT_EQ(real, (std::vector<std::string>{"model.lwnet", "pipe"})) << "a temporary file was left";
}

TEST_F(CpuModelIo, HyperparametersBeyondTheOptionBoundsAreRefused) {
  // The bounds KmeOptions::validate enforces (what keeps a typo from allocating or running without
  // end), and a model file whose hyperparameters break them.
  const std::vector<std::pair<std::string, std::function<void(kme::KmeOptions&)>>> beyond = {
      {"max_layers", [](kme::KmeOptions& o) { o.max_layers = kme::KmeOptions::kMaxLayersLimit + 1; }},
      {"sigma_count", [](kme::KmeOptions& o) { o.sigma_count = 2147483647; }},
      {"sigma_smallest", [](kme::KmeOptions& o) { o.sigma_smallest = 1e300; }},
      {"sigma_smallest", [](kme::KmeOptions& o) { o.sigma_smallest = 1e-300; }},
      {"hsic_threshold", [](kme::KmeOptions& o) { o.hsic_threshold = 1.5; }},
      {"hsic_threshold", [](kme::KmeOptions& o) { o.hsic_threshold = NAN; }},
      {"rff_features", [](kme::KmeOptions& o) { o.rff_features = kme::KmeOptions::kRffFeaturesLimit + 1; }},
  };
  for (const auto& [name, set] : beyond) {
    kme::KmeOptions o;
    set(o);
    EXPECT_TRUE(throws_with<InvalidArgument>([&] { o.validate(); }, {name})) << name;
  }
  kme::KmeOptions edges;
  edges.max_layers = kme::KmeOptions::kMaxLayersLimit;
  edges.sigma_count = kme::KmeOptions::kSigmaCountLimit;
  edges.sigma_smallest = kme::KmeOptions::kSigmaSmallestMax;
  edges.hsic_threshold = 1.0;
  EXPECT_NO_THROW(edges.validate());

  auto backend = training_backend();
  kme::save_model(small_model(*backend), path("good.lwnet"));
  Container c = split(read_bytes(path("good.lwnet")));
  json hyper = json::parse(c.header["__metadata__"]["hyperparameters"].get<std::string>());
  hyper["sigma_count"] = 2147483647;
  c.header["__metadata__"]["hyperparameters"] = hyper.dump();
  write_bytes(path("huge_grid.lwnet"), join(c.header, c.data));
  EXPECT_TRUE(io_error_naming([&] { kme::load_model(path("huge_grid.lwnet")); }, path("huge_grid.lwnet"), "sigma_count"));
}

}  // namespace
}  // namespace lwnet::test
