#include "core/interop/ultralyticscheckpoint.h"

#include "core/interop/picklereader.h"
#include "core/interop/ultralyticsrun.h"
#include "core/model/modelscale.h"

#include <caffe2/serialize/inline_container.h>
#include <caffe2/serialize/read_adapter_interface.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>

#include <cmath>
#include <cstring>
#include <set>
#include <unordered_set>

namespace yolodeck {

namespace {

using pickle::Value;
using Kind = pickle::Value::Kind;

// Module trees are a few levels deep (DetectionModel > Sequential > C2f > ModuleList > Bottleneck >
// Conv > Conv2d); anything far deeper is not a model.
constexpr int kMaxModuleDepth = 32;
constexpr int kMaxJsonDepth = 16;

QString fileError(const QString &name, const QString &problem)
{
    return QStringLiteral("%1: %2").arg(QDir::toNativeSeparators(name), problem);
}

// An archive held in memory, for PyTorchStreamReader.
class StringReadAdapter final : public caffe2::serialize::ReadAdapterInterface
{
public:
    explicit StringReadAdapter(const std::string &bytes)
        : m_bytes(bytes)
    {}
    size_t size() const override { return m_bytes.size(); }
    size_t read(uint64_t pos, void *buf, size_t n, const char *) const override
    {
        if (pos >= m_bytes.size())
            return 0;
        const size_t count = std::min<size_t>(n, m_bytes.size() - size_t(pos));
        std::memcpy(buf, m_bytes.data() + pos, count);
        return count;
    }

private:
    const std::string &m_bytes;
};

std::string readRecord(caffe2::serialize::PyTorchStreamReader &reader, const std::string &name)
{
    at::DataPtr data;
    size_t size = 0;
    std::tie(data, size) = reader.getRecord(name);
    return std::string(static_cast<const char *>(data.get()), size);
}

// One parameter or buffer found by walking the module tree, in state_dict order.
struct NamedTensor
{
    std::string name;
    std::shared_ptr<pickle::TensorRef> ref;
    bool parameter = false;
    QString moduleClass; // the class of the module that owns it ("BatchNorm2d", "Conv2d", ...)
};

struct ModuleWalk
{
    std::vector<NamedTensor> tensors;
    std::set<QString> classes; // every module class met, "C2f", "Detect", ...
    QString error;
};

bool isNonPersistent(const Value &module, const std::string &name)
{
    const Value *set = module.attribute("_non_persistent_buffers_set");
    if (!set || set->kind != Kind::Set)
        return false;
    for (const auto &item : set->items)
        if (item && item->kind == Kind::String && item->text == name)
            return true;
    return false;
}

// nn.Module.state_dict() order: the module's own parameters, then its buffers, then each child.
void walkModule(const Value &module, const std::string &prefix, int depth,
                std::unordered_set<const Value *> &visiting, ModuleWalk &out)
{
    if (!out.error.isEmpty())
        return;
    if (depth > kMaxModuleDepth) {
        out.error = QStringLiteral("module tree deeper than %1 levels").arg(kMaxModuleDepth);
        return;
    }
    if (module.kind != Kind::Object || !visiting.insert(&module).second) {
        out.error = QStringLiteral("module %1 is not a module object")
                        .arg(QString::fromStdString(prefix.empty() ? "(root)" : prefix));
        return;
    }
    const QString cls = QString::fromStdString(module.name);
    out.classes.insert(cls);
    for (const char *table : {"_parameters", "_buffers"}) {
        const Value *entries = module.attribute(table);
        if (!entries)
            continue;
        if (entries->kind != Kind::Dict) {
            out.error = QStringLiteral("%1%2 is not a dict")
                            .arg(QString::fromStdString(prefix), QLatin1String(table));
            return;
        }
        for (const auto &[key, value] : entries->entries) {
            if (!key || key->kind != Kind::String || !value) {
                out.error = QStringLiteral("a tensor name that is not a string under %1")
                                .arg(QString::fromStdString(prefix));
                return;
            }
            if (value->kind == Kind::None)
                continue; // a registered but unset parameter (bias=False) is not in state_dict
            if (value->kind != Kind::Tensor) {
                out.error =
                    QStringLiteral("%1%2 is a %3, not a tensor")
                        .arg(QString::fromStdString(prefix), QString::fromStdString(key->text),
                             QString::fromStdString(pickle::describe(*value)));
                return;
            }
            if (std::strcmp(table, "_buffers") == 0 && isNonPersistent(module, key->text))
                continue;
            out.tensors.push_back(
                {prefix + key->text, value->tensor, std::strcmp(table, "_parameters") == 0, cls});
        }
    }
    if (const Value *children = module.attribute("_modules")) {
        if (children->kind != Kind::Dict) {
            out.error =
                QStringLiteral("%1_modules is not a dict").arg(QString::fromStdString(prefix));
            return;
        }
        for (const auto &[key, child] : children->entries) {
            if (!key || key->kind != Kind::String || !child) {
                out.error = QStringLiteral("a module name that is not a string");
                return;
            }
            if (child->kind == Kind::None)
                continue;
            walkModule(*child, prefix + key->text + ".", depth + 1, visiting, out);
        }
    }
    visiting.erase(&module);
}

QJsonValue toJson(const Value *v, int depth)
{
    if (!v || depth > kMaxJsonDepth)
        return QJsonValue();
    switch (v->kind) {
    case Kind::None:
        return QJsonValue();
    case Kind::Bool:
        return v->boolean;
    case Kind::Int:
        return double(v->integer);
    case Kind::Float:
        return std::isfinite(v->real) ? QJsonValue(v->real) : QJsonValue();
    case Kind::String:
        return QString::fromStdString(v->text);
    case Kind::Tuple:
    case Kind::List:
    case Kind::Set: {
        QJsonArray a;
        for (const auto &item : v->items)
            a.append(toJson(item.get(), depth + 1));
        return a;
    }
    case Kind::Dict: {
        QJsonObject o;
        for (const auto &[key, value] : v->entries) {
            if (!key)
                continue;
            const QJsonValue k = toJson(key.get(), depth + 1);
            const QString name = k.isString()   ? k.toString()
                                 : k.isDouble() ? QString::number(k.toDouble(), 'g', 17)
                                                : QString::fromStdString(pickle::describe(*key));
            o.insert(name, toJson(value.get(), depth + 1));
        }
        return o;
    }
    case Kind::Object:
        // A namespace (IterableSimpleNamespace, argparse.Namespace): its attributes.
        if (v->state && v->state->kind == Kind::Dict)
            return toJson(v->state.get(), depth + 1);
        return QString::fromStdString(pickle::describe(*v));
    case Kind::Tensor:
        return QStringLiteral("tensor");
    default:
        return QString::fromStdString(pickle::describe(*v));
    }
}

std::optional<at::ScalarType> scalarTypeOf(const std::string &storageType)
{
    static const std::map<std::string, at::ScalarType> types = {
        {"FloatStorage", at::kFloat},   {"HalfStorage", at::kHalf},
        {"DoubleStorage", at::kDouble}, {"BFloat16Storage", at::kBFloat16},
        {"LongStorage", at::kLong},     {"IntStorage", at::kInt},
        {"ShortStorage", at::kShort},   {"CharStorage", at::kChar},
        {"ByteStorage", at::kByte},     {"BoolStorage", at::kBool},
    };
    const auto it = types.find(storageType);
    if (it == types.end())
        return std::nullopt;
    return it->second;
}

// Checks a tensor's view against its storage: every element it addresses must exist.
QString checkView(const pickle::TensorRef &ref)
{
    if (ref.offset < 0)
        return QStringLiteral("a negative storage offset");
    int64_t last = ref.offset;
    bool empty = false;
    for (size_t d = 0; d < ref.sizes.size(); ++d) {
        if (ref.sizes[d] < 0 || ref.strides[d] < 0)
            return QStringLiteral("a negative size or stride");
        if (ref.sizes[d] == 0)
            empty = true;
        else if (ref.sizes[d] > (int64_t(1) << 40) || ref.strides[d] > (int64_t(1) << 40))
            return QStringLiteral("an impossible size");
        else
            last += (ref.sizes[d] - 1) * ref.strides[d];
    }
    if (!empty && last >= ref.storageNumel)
        return QStringLiteral("a view past the end of its storage (%1 >= %2 elements)")
            .arg(last)
            .arg(ref.storageNumel);
    return {};
}

// Ultralytics class names of the heads and models YoloDeck cannot build, and what they are.
QString unsupportedModelReason(const QString &cls)
{
    static const std::map<QString, QString> known = {
        {QStringLiteral("SegmentationModel"), QStringLiteral("a segmentation model")},
        {QStringLiteral("Segment"), QStringLiteral("a segmentation model")},
        {QStringLiteral("PoseModel"), QStringLiteral("a pose model")},
        {QStringLiteral("Pose"), QStringLiteral("a pose model")},
        {QStringLiteral("ClassificationModel"), QStringLiteral("a classification model")},
        {QStringLiteral("Classify"), QStringLiteral("a classification model")},
        {QStringLiteral("OBBModel"), QStringLiteral("an oriented-box (OBB) model")},
        {QStringLiteral("OBB"), QStringLiteral("an oriented-box (OBB) model")},
        {QStringLiteral("RTDETRDetectionModel"), QStringLiteral("an RT-DETR model")},
        {QStringLiteral("WorldModel"), QStringLiteral("a YOLO-World model")},
    };
    const auto it = known.find(cls);
    return it == known.end() ? QString() : it->second;
}

// The layers of yolov8.yaml (and what they are made of). A model with any other layer is another
// architecture (YOLOv5u's C3, YOLOv9's RepNCSPELAN4, YOLO11's C3k2/C2PSA, ...).
const std::set<QString> &yolov8Classes()
{
    static const std::set<QString> classes = {
        QStringLiteral("DetectionModel"),
        QStringLiteral("Sequential"),
        QStringLiteral("ModuleList"),
        QStringLiteral("Conv"),
        QStringLiteral("Conv2d"),
        QStringLiteral("BatchNorm2d"),
        QStringLiteral("SiLU"),
        QStringLiteral("Identity"),
        QStringLiteral("C2f"),
        QStringLiteral("Bottleneck"),
        QStringLiteral("SPPF"),
        QStringLiteral("MaxPool2d"),
        QStringLiteral("Upsample"),
        QStringLiteral("Concat"),
        QStringLiteral("Detect"),
        QStringLiteral("DFL"),
    };
    return classes;
}

const NamedTensor *findTensor(const std::vector<NamedTensor> &tensors, const std::string &name)
{
    for (const NamedTensor &t : tensors)
        if (t.name == name)
            return &t;
    return nullptr;
}

// Scale and class count from the tensor shapes: the stem's output channels give the width
// (make_divisible(64 * width, 8)), the bottlenecks of layer 2 the depth (round(3 * depth)).
QString inferScale(const std::vector<NamedTensor> &tensors, int *nc, QString *why)
{
    const NamedTensor *stem = findTensor(tensors, "model.0.conv.weight");
    const NamedTensor *cls = findTensor(tensors, "model.22.cv3.0.2.weight");
    if (!stem || stem->ref->sizes.size() != 4 || !cls || cls->ref->sizes.size() != 4) {
        *why = QStringLiteral("no YOLOv8 detection layers (model.0.conv.weight, "
                              "model.22.cv3.0.2.weight)");
        return {};
    }
    *nc = int(cls->ref->sizes[0]);
    int bottlenecks = 0;
    while (findTensor(tensors, "model.2.m." + std::to_string(bottlenecks) + ".cv1.conv.weight"))
        ++bottlenecks;
    const int64_t stemChannels = stem->ref->sizes[0];
    for (const QString &name : modelScaleNames()) {
        const std::optional<ModelScale> s = modelScale(name);
        const int64_t channels =
            int64_t(std::ceil(std::min(64, s->maxChannels) * s->width / 8) * 8);
        const int repeats = std::max(int(std::lround(3 * s->depth)), 1);
        if (channels == stemChannels && repeats == bottlenecks)
            return name;
    }
    *why = QStringLiteral("a stem of %1 channels with %2 bottlenecks matches no YOLOv8 scale")
               .arg(stemChannels)
               .arg(bottlenecks);
    return {};
}

// Ultralytics' build_optimizer: walking the modules, a parameter whose name has "bias" goes to
// the bias group, a norm layer's weight to the no-decay group, every other weight (the frozen DFL
// one included) to the decay group; the optimizer is built as [biases, decay weights, norm
// weights], YoloDeck's pg0, pg1, pg2.
std::array<std::vector<std::string>, 3> ultralyticsGroups(const std::vector<NamedTensor> &tensors)
{
    std::array<std::vector<std::string>, 3> groups;
    for (const NamedTensor &t : tensors) {
        if (!t.parameter)
            continue;
        if (t.name.find("bias") != std::string::npos)
            groups[0].push_back(t.name);
        else if (t.moduleClass == QLatin1String("BatchNorm2d"))
            groups[2].push_back(t.name);
        else
            groups[1].push_back(t.name);
    }
    return groups;
}

struct Parsed
{
    pickle::Document document;
    QJsonObject meta;
    std::vector<NamedTensor> weights;
    // Optimizer state tensors by "<param name>.<key>", when the file has a usable optimizer.
    std::vector<std::pair<std::string, std::shared_ptr<pickle::TensorRef>>> optimizerTensors;
    std::vector<std::pair<std::string, double>> optimizerSteps; // numeric AdamW steps
};

const Value *dictGet(const Value &dict, const char *key)
{
    return dict.get(std::string_view(key));
}

// Reads the optimizer's state onto parameter names; `why` says why it cannot be continued.
void readOptimizer(const Value &root, const std::vector<NamedTensor> &weights, Parsed &out,
                   QJsonObject &ultralytics, QString *why)
{
    const Value *optimizer = dictGet(root, "optimizer");
    if (!optimizer || optimizer->isNone()) {
        *why = QStringLiteral("it holds no optimizer state (a stripped or pretrained file)");
        return;
    }
    const Value *state = dictGet(*optimizer, "state");
    const Value *groups = dictGet(*optimizer, "param_groups");
    if (!state || state->kind != Kind::Dict || !groups || groups->kind != Kind::List) {
        *why = QStringLiteral("its optimizer state is not a torch.optim state_dict");
        return;
    }
    const auto names = ultralyticsGroups(weights);
    if (groups->items.size() != 3) {
        *why = QStringLiteral("its optimizer has %1 parameter groups, not Ultralytics' 3")
                   .arg(groups->items.size());
        return;
    }
    QString kind;
    QJsonArray groupJson;
    for (size_t g = 0; g < 3; ++g) {
        const Value &group = *groups->items[g];
        const Value *params = dictGet(group, "params");
        if (group.kind != Kind::Dict || !params || params->kind != Kind::List ||
            params->items.size() != names[g].size()) {
            *why = QStringLiteral("its optimizer group %1 does not match the model's parameters")
                       .arg(g);
            return;
        }
        const Value *betas = dictGet(group, "betas");
        const Value *nesterov = dictGet(group, "nesterov");
        const QString groupKind = betas                     ? QStringLiteral("AdamW")
                                  : nesterov                ? QStringLiteral("SGD")
                                  : dictGet(group, "alpha") ? QStringLiteral("RMSProp")
                                                            : QStringLiteral("unknown");
        kind = groupKind;
        QJsonObject gj;
        for (const char *k : {"lr", "initial_lr", "momentum", "weight_decay", "nesterov", "eps"})
            if (const Value *v = dictGet(group, k); v && v->isNumber())
                gj.insert(QLatin1String(k), v->toDouble());
        if (betas && betas->kind == Kind::Tuple && betas->items.size() == 2 &&
            betas->items[0]->isNumber())
            gj.insert(QStringLiteral("beta1"), betas->items[0]->toDouble());
        groupJson.append(gj);
        for (size_t k = 0; k < params->items.size(); ++k) {
            const Value &index = *params->items[k];
            if (index.kind != Kind::Int) {
                *why = QStringLiteral("its optimizer state names a parameter that is not an index");
                return;
            }
            const Value *s = state->get(index.integer);
            if (!s)
                continue; // no gradient yet (the frozen DFL weight)
            if (s->kind != Kind::Dict) {
                *why = QStringLiteral("its optimizer state is damaged");
                return;
            }
            for (const auto &[key, v] : s->entries) {
                if (!key || key->kind != Kind::String || !v)
                    continue;
                std::string ours = key->text == "momentum_buffer" ? "momentum" : key->text;
                if (ours != "momentum" && ours != "exp_avg" && ours != "exp_avg_sq" &&
                    ours != "step")
                    continue;
                const std::string name = names[g][k] + "." + ours;
                if (v->kind == Kind::Tensor)
                    out.optimizerTensors.emplace_back(name, v->tensor);
                else if (v->isNumber())
                    out.optimizerSteps.emplace_back(name, v->toDouble());
            }
        }
    }
    QJsonObject opt{{QStringLiteral("name"), kind}, {QStringLiteral("groups"), groupJson}};
    const QJsonObject first = groupJson.first().toObject();
    opt.insert(QStringLiteral("lr"), first.value(QStringLiteral("initial_lr"))
                                         .toDouble(first.value(QStringLiteral("lr")).toDouble()));
    opt.insert(QStringLiteral("momentum"),
               kind == QLatin1String("AdamW") ? first.value(QStringLiteral("beta1")).toDouble()
                                              : first.value(QStringLiteral("momentum")).toDouble());
    ultralytics.insert(QStringLiteral("optimizer"), opt);
    if (kind != QLatin1String("SGD") && kind != QLatin1String("AdamW")) {
        *why = QStringLiteral("its optimizer (%1) is not one YoloDeck continues (SGD, AdamW)")
                   .arg(kind);
        out.optimizerTensors.clear();
        out.optimizerSteps.clear();
    }
}

// Ultralytics' results columns (train_results, results.csv) as YoloDeck history rows.
QJsonArray historyFromResults(const Value *results)
{
    QJsonArray history;
    if (!results || results->kind != Kind::Dict)
        return history;
    size_t rows = 0;
    for (const auto &[key, column] : results->entries)
        if (column && column->kind == Kind::List)
            rows = std::max(rows, column->items.size());
    for (size_t r = 0; r < rows && r < 100000; ++r) {
        QJsonObject row;
        for (const auto &[key, column] : results->entries) {
            if (!key || key->kind != Kind::String || !column || column->kind != Kind::List ||
                r >= column->items.size() || !column->items[r]->isNumber())
                continue;
            row.insert(QString::fromStdString(key->text).trimmed(), column->items[r]->toDouble());
        }
        if (!row.contains(QStringLiteral("epoch")))
            row.insert(QStringLiteral("epoch"), double(r + 1));
        const double map50 = row.value(QStringLiteral("metrics/mAP50(B)")).toDouble();
        const double map5095 = row.value(QStringLiteral("metrics/mAP50-95(B)")).toDouble();
        row.insert(QStringLiteral("fitness"), 0.1 * map50 + 0.9 * map5095);
        history.append(row);
    }
    return history;
}

// `folder` is the file's folder when it is read from disk (empty in memory): a file in a run's
// weights/ folder takes its history from the run's results.csv when the pickle has none.
Result<Parsed> parseArchive(caffe2::serialize::PyTorchStreamReader &reader, const QString &name,
                            const QString &folder)
{
    auto fail = [&](const QString &problem) {
        return Result<Parsed>::fail(fileError(name, problem));
    };
    if (reader.hasRecord("constants.pkl") || reader.hasRecord("code/"))
        return fail(QStringLiteral("a TorchScript model (torch.jit.save), not a checkpoint"));
    if (!reader.hasRecord("data.pkl"))
        return fail(QStringLiteral("a zip archive without data.pkl: not a PyTorch checkpoint"));
    const std::string bytes = readRecord(reader, "data.pkl");
    Result<pickle::Document> doc = pickle::parse(bytes);
    if (!doc)
        return fail(QStringLiteral("damaged data.pkl: %1").arg(doc.error()));
    Parsed parsed;
    parsed.document = doc.take();
    const Value &root = *parsed.document.root;
    if (root.kind != Kind::Dict)
        return fail(QStringLiteral("data.pkl holds a %1, not a checkpoint dict")
                        .arg(QString::fromStdString(pickle::describe(root))));

    const Value *ema = dictGet(root, "ema");
    const Value *model = dictGet(root, "model");
    const bool fromEma = ema && ema->kind == Kind::Object;
    const Value *net = fromEma ? ema : model;
    if (!net || net->kind != Kind::Object) {
        QStringList keys;
        for (const auto &[k, v] : root.entries)
            if (k && k->kind == Kind::String && keys.size() < 8)
                keys << QString::fromStdString(k->text);
        return fail(QStringLiteral("a PyTorch file without an Ultralytics model (keys: %1)")
                        .arg(keys.join(QStringLiteral(", "))));
    }
    const QString modelClass = QString::fromStdString(net->qualifiedName());
    if (!QString::fromStdString(net->module).startsWith(QLatin1String("ultralytics.")))
        return fail(QStringLiteral("the model is a %1, not an Ultralytics model%2")
                        .arg(modelClass, modelClass == QLatin1String("models.yolo.Model")
                                             ? QStringLiteral(" (a YOLOv5 checkpoint)")
                                             : QString()));
    if (const QString reason = unsupportedModelReason(QString::fromStdString(net->name));
        !reason.isEmpty())
        return fail(QStringLiteral("%1 (%2); YoloDeck trains detection models only")
                        .arg(reason, QString::fromStdString(net->name)));

    ModuleWalk walk;
    std::unordered_set<const Value *> visiting;
    walkModule(*net, "", 0, visiting, walk);
    if (!walk.error.isEmpty())
        return fail(QStringLiteral("damaged model: %1").arg(walk.error));
    for (const QString &cls : walk.classes) {
        if (const QString reason = unsupportedModelReason(cls); !reason.isEmpty())
            return fail(QStringLiteral("%1 (%2 head); YoloDeck trains detection models only")
                            .arg(reason, cls));
    }
    QStringList foreign;
    for (const QString &cls : walk.classes)
        if (!yolov8Classes().count(cls))
            foreign << cls;
    if (!foreign.isEmpty())
        return fail(QStringLiteral("not a YOLOv8 model: it has %1 layers (YOLO11, YOLOv5u, "
                                   "YOLOv9, ...); YoloDeck builds YOLOv8 detection models only")
                        .arg(foreign.join(QStringLiteral(", "))));
    for (const NamedTensor &t : walk.tensors) {
        if (!scalarTypeOf(t.ref->storageType))
            return fail(QStringLiteral("tensor %1 has an unsupported storage type %2")
                            .arg(QString::fromStdString(t.name),
                                 QString::fromStdString(t.ref->storageType)));
        if (const QString bad = checkView(*t.ref); !bad.isEmpty())
            return fail(
                QStringLiteral("damaged tensor %1: %2").arg(QString::fromStdString(t.name), bad));
    }
    int nc = 0;
    QString why;
    const QString scale = inferScale(walk.tensors, &nc, &why);
    if (scale.isEmpty())
        return fail(QStringLiteral("not a YOLOv8 detection model: %1").arg(why));

    // Class names: a dict {0: 'person', ...} (or a list in old files).
    QJsonArray names;
    if (const Value *n = net->attribute("names")) {
        if (n->kind == Kind::Dict) {
            for (int k = 0; k < nc; ++k) {
                const Value *v = n->get(int64_t(k));
                names.append(v && v->kind == Kind::String ? QString::fromStdString(v->text)
                                                          : QStringLiteral("class%1").arg(k));
            }
        } else if (n->kind == Kind::List) {
            for (int k = 0; k < nc; ++k)
                names.append(size_t(k) < n->items.size() && n->items[k]->kind == Kind::String
                                 ? QString::fromStdString(n->items[k]->text)
                                 : QStringLiteral("class%1").arg(k));
        }
    }
    if (names.isEmpty())
        for (int k = 0; k < nc; ++k)
            names.append(QStringLiteral("class%1").arg(k));

    int64_t parameters = 0;
    for (const NamedTensor &t : walk.tensors) {
        if (!t.parameter)
            continue;
        int64_t n = 1;
        for (int64_t s : t.ref->sizes)
            n *= s;
        parameters += n;
    }

    QJsonObject ultralytics;
    ultralytics.insert(QStringLiteral("model_class"), modelClass);
    ultralytics.insert(QStringLiteral("weights_from"),
                       fromEma ? QStringLiteral("ema") : QStringLiteral("model"));
    ultralytics.insert(QStringLiteral("tensors"), int(walk.tensors.size()));
    const QJsonValue trainArgs = toJson(dictGet(root, "train_args"), 0);
    if (trainArgs.isObject())
        ultralytics.insert(QStringLiteral("train_args"), trainArgs);
    else if (const Value *args = net->attribute("args"); args) // older files: the model's args
        if (const QJsonValue a = toJson(args, 0); a.isObject())
            ultralytics.insert(QStringLiteral("train_args"), a);
    for (const char *key : {"version", "date"}) {
        const Value *v = dictGet(root, key);
        if (v && v->kind == Kind::String)
            ultralytics.insert(QLatin1String(key), QString::fromStdString(v->text));
    }

    QJsonObject meta;
    meta.insert(QStringLiteral("format"), 1);
    meta.insert(QStringLiteral("source"), QStringLiteral("ultralytics"));
    meta.insert(QStringLiteral("app"), QStringLiteral("Ultralytics"));
    meta.insert(QStringLiteral("app_version"), ultralytics.value(QStringLiteral("version")));
    const Value *epoch = dictGet(root, "epoch");
    const int storedEpoch = epoch && epoch->kind == Kind::Int ? int(epoch->integer) : -1;
    meta.insert(QStringLiteral("epoch"), storedEpoch >= 0 ? storedEpoch + 1 : -1);
    meta.insert(QStringLiteral("batch"), 0);
    const int imgsz = trainArgs.toObject().value(QStringLiteral("imgsz")).toInt(640);
    meta.insert(QStringLiteral("model"),
                QJsonObject{{QStringLiteral("scale"), scale},
                            {QStringLiteral("nc"), nc},
                            {QStringLiteral("imgsz"), imgsz > 0 ? imgsz : 640},
                            {QStringLiteral("parameters"), double(parameters)}});
    meta.insert(QStringLiteral("names"), names);
    if (const Value *bf = dictGet(root, "best_fitness"); bf && bf->isNumber())
        meta.insert(QStringLiteral("best_fitness"), bf->toDouble());
    if (const QJsonValue m = toJson(dictGet(root, "train_metrics"), 0); m.isObject()) {
        QJsonObject metrics = m.toObject();
        if (metrics.contains(QStringLiteral("fitness")))
            meta.insert(QStringLiteral("fitness"), metrics.take(QStringLiteral("fitness")));
        meta.insert(QStringLiteral("metrics"), metrics);
    }
    QJsonArray history = historyFromResults(dictGet(root, "train_results"));
    if (history.isEmpty() && !folder.isEmpty()) {
        // Files older than 8.3 keep no results: the run folder's results.csv has them.
        const QDir weights(folder);
        if (weights.dirName() == QLatin1String("weights")) {
            const Result<UltralyticsResults> csv = readUltralyticsResults(
                QFileInfo(weights.absolutePath()).absolutePath() + QStringLiteral("/results.csv"));
            if (csv)
                for (const EpochRecord &r : csv.value().history)
                    history.append(r.toJson());
        }
    }
    if (!history.isEmpty())
        meta.insert(QStringLiteral("history"), history);
    // Files without train_metrics (8.0.x): the metrics of their epoch's row.
    if (!meta.contains(QStringLiteral("metrics")) && storedEpoch >= 0) {
        for (const QJsonValue &v : history) {
            const QJsonObject row = v.toObject();
            if (row.value(QStringLiteral("epoch")).toInt() != storedEpoch + 1)
                continue;
            QJsonObject metrics;
            for (const QString &key : row.keys())
                if (key.startsWith(QLatin1String("metrics/")) ||
                    key.startsWith(QLatin1String("val/")))
                    metrics.insert(key, row.value(key));
            meta.insert(QStringLiteral("metrics"), metrics);
            meta.insert(QStringLiteral("fitness"), row.value(QStringLiteral("fitness")));
        }
    }
    if (ultralytics.contains(QStringLiteral("date")))
        meta.insert(QStringLiteral("created"), ultralytics.value(QStringLiteral("date")));
    if (const Value *updates = dictGet(root, "updates"); updates && updates->kind == Kind::Int)
        meta.insert(QStringLiteral("ema_updates"), double(updates->integer));
    meta.insert(QStringLiteral("exact"), false);

    QString notContinuable;
    if (!fromEma)
        notContinuable = QStringLiteral("it holds no EMA (a stripped or pretrained file)");
    else
        readOptimizer(root, walk.tensors, parsed, ultralytics, &notContinuable);
    if (storedEpoch < 0 && notContinuable.isEmpty())
        notContinuable = QStringLiteral("it records no epoch");
    meta.insert(QStringLiteral("kind"),
                notContinuable.isEmpty() ? QStringLiteral("full") : QStringLiteral("weights"));
    if (!notContinuable.isEmpty())
        ultralytics.insert(QStringLiteral("not_continuable"), notContinuable);
    meta.insert(QStringLiteral("ultralytics"), ultralytics);
    parsed.meta = meta;
    parsed.weights = std::move(walk.tensors);
    return Result<Parsed>::ok(std::move(parsed));
}

// Copies the tensors' bytes out of their storage records.
Result<ForeignCheckpoint> loadTensors(caffe2::serialize::PyTorchStreamReader &reader,
                                      Parsed &parsed, const QString &name)
{
    std::map<std::string, torch::Tensor> storages;
    auto tensorOf = [&](const pickle::TensorRef &ref, QString *error) -> torch::Tensor {
        const at::ScalarType type = *scalarTypeOf(ref.storageType);
        auto it = storages.find(ref.storageKey);
        if (it == storages.end()) {
            const std::string record = "data/" + ref.storageKey;
            if (!reader.hasRecord(record)) {
                *error = QStringLiteral("storage %1 is missing from the archive")
                             .arg(QString::fromStdString(ref.storageKey));
                return {};
            }
            at::DataPtr data;
            size_t size = 0;
            std::tie(data, size) = reader.getRecord(record);
            const size_t element = c10::elementSize(type);
            if (size % element != 0) {
                *error = QStringLiteral("storage %1 has %2 bytes, not a whole number of %3")
                             .arg(QString::fromStdString(ref.storageKey))
                             .arg(size)
                             .arg(QString::fromStdString(ref.storageType));
                return {};
            }
            torch::Tensor storage = torch::empty({int64_t(size / element)}, torch::dtype(type));
            if (size > 0)
                std::memcpy(storage.data_ptr(), data.get(), size);
            it = storages.emplace(ref.storageKey, storage).first;
        }
        const torch::Tensor &storage = it->second;
        if (storage.scalar_type() != type) {
            *error = QStringLiteral("storage %1 is read as two different types")
                         .arg(QString::fromStdString(ref.storageKey));
            return {};
        }
        pickle::TensorRef actual = ref;
        actual.storageNumel = storage.numel(); // the record, not the pickle, says how much exists
        if (const QString bad = checkView(actual); !bad.isEmpty()) {
            *error = bad;
            return {};
        }
        return storage.as_strided(ref.sizes, ref.strides, ref.offset)
            .clone(at::MemoryFormat::Contiguous);
    };

    ForeignCheckpoint out;
    out.meta = parsed.meta;
    const bool hasEma = parsed.meta.value(QStringLiteral("ultralytics"))
                            .toObject()
                            .value(QStringLiteral("weights_from"))
                            .toString() == QLatin1String("ema");
    for (const NamedTensor &t : parsed.weights) {
        QString error;
        torch::Tensor tensor = tensorOf(*t.ref, &error);
        if (!error.isEmpty())
            return Result<ForeignCheckpoint>::fail(
                fileError(name, QStringLiteral("damaged tensor %1: %2")
                                    .arg(QString::fromStdString(t.name), error)));
        out.tensors["model." + t.name] = tensor;
        if (hasEma)
            out.tensors["ema." + t.name] = tensor;
    }
    for (const auto &[key, ref] : parsed.optimizerTensors) {
        QString error;
        if (!scalarTypeOf(ref->storageType))
            return Result<ForeignCheckpoint>::fail(
                fileError(name, QStringLiteral("optimizer state %1 has an unsupported type")
                                    .arg(QString::fromStdString(key))));
        torch::Tensor tensor = tensorOf(*ref, &error);
        if (!error.isEmpty())
            return Result<ForeignCheckpoint>::fail(
                fileError(name, QStringLiteral("damaged optimizer state %1: %2")
                                    .arg(QString::fromStdString(key), error)));
        out.tensors["uoptim." + key] = tensor;
    }
    for (const auto &[key, step] : parsed.optimizerSteps)
        out.tensors["uoptim." + key] = torch::tensor(step, torch::kDouble);
    return Result<ForeignCheckpoint>::ok(std::move(out));
}

QString torchProblem(const std::exception &e)
{
    // Torch's messages carry a C++ backtrace after the first line.
    const QString first = QString::fromLocal8Bit(e.what()).section(QLatin1Char('\n'), 0, 0);
    return QStringLiteral("a damaged or truncated zip archive (%1)").arg(first.left(160));
}

template <typename Open>
Result<ForeignCheckpoint> load(Open open, const QString &name, const QString &folder)
{
    try {
        caffe2::serialize::PyTorchStreamReader reader = open();
        Result<Parsed> parsed = parseArchive(reader, name, folder);
        if (!parsed)
            return Result<ForeignCheckpoint>::fail(parsed.error());
        return loadTensors(reader, parsed.value(), name);
    } catch (const std::bad_alloc &) {
        return Result<ForeignCheckpoint>::fail(
            fileError(name, QStringLiteral("a record claims more memory than exists (damaged)")));
    } catch (const std::exception &e) {
        return Result<ForeignCheckpoint>::fail(fileError(name, torchProblem(e)));
    }
}

} // namespace

bool looksLikeTorchSavePickle(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly) || !file.read(4).startsWith("PK\x03\x04"))
        return false;
    try {
        caffe2::serialize::PyTorchStreamReader reader(QFile::encodeName(path).toStdString());
        return reader.hasRecord("data.pkl") && !reader.hasRecord("extra/meta.json");
    } catch (const std::exception &) {
        return false;
    }
}

Result<QJsonObject> readUltralyticsMeta(const QString &path)
{
    try {
        caffe2::serialize::PyTorchStreamReader reader(QFile::encodeName(path).toStdString());
        Result<Parsed> parsed = parseArchive(reader, path, QFileInfo(path).absolutePath());
        if (!parsed)
            return Result<QJsonObject>::fail(parsed.error());
        return Result<QJsonObject>::ok(parsed.value().meta);
    } catch (const std::bad_alloc &) {
        return Result<QJsonObject>::fail(
            fileError(path, QStringLiteral("a record claims more memory than exists (damaged)")));
    } catch (const std::exception &e) {
        return Result<QJsonObject>::fail(fileError(path, torchProblem(e)));
    }
}

Result<ForeignCheckpoint> loadUltralyticsCheckpoint(const QString &path)
{
    return load(
        [&] {
            return caffe2::serialize::PyTorchStreamReader(QFile::encodeName(path).toStdString());
        },
        path, QFileInfo(path).absolutePath());
}

Result<ForeignCheckpoint> loadUltralyticsCheckpointFromBytes(const std::string &bytes,
                                                             const QString &name)
{
    return load(
        [&] {
            return caffe2::serialize::PyTorchStreamReader(
                std::make_shared<StringReadAdapter>(bytes));
        },
        name, QString());
}

} // namespace yolodeck
