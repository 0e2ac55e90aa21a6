// Fuzzes the pickle reader (pickle::parse) on raw opcode streams, as data.pkl of a torch.save()
// archive holds them: any bytes give a document of plain values or a one-line reason, never a
// crash, and nothing is executed. A parsed document is walked the way the Ultralytics reader walks
// it (dict lookups, attributes, numbers, tensor views), so a value the parser builds wrongly shows.

#include "core/interop/picklereader.h"

#include "fuzzinput.h"

#include <string_view>

using namespace yolodeck;

namespace {

void visit(const pickle::Value &v)
{
    fuzz::expect(!pickle::describe(v).empty(), "every value can be described");
    (void)v.toDouble();
    (void)v.get("model");
    (void)v.get(int64_t(0));
    (void)v.attribute("_modules");
    for (const pickle::ValuePtr &item : v.items)
        fuzz::expect(item != nullptr, "container items are values");
    for (const auto &[key, value] : v.entries)
        fuzz::expect(key != nullptr && value != nullptr, "dict entries are values");
    if (v.kind == pickle::Value::Kind::Tensor || v.kind == pickle::Value::Kind::Storage)
        fuzz::expect(v.tensor != nullptr, "a tensor or storage has its reference");
    if (v.kind == pickle::Value::Kind::Tensor)
        fuzz::expect(v.tensor->sizes.size() == v.tensor->strides.size(),
                     "a tensor has one stride per dimension");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const std::string_view bytes(reinterpret_cast<const char *>(data), size);
    Result<pickle::Document> doc = pickle::parse(bytes);
    if (!doc) {
        fuzz::expect(!doc.error().trimmed().isEmpty(), "a refused pickle says why");
        fuzz::expect(!doc.error().contains(QLatin1Char('\n')), "the reason is one line",
                     doc.error());
        return 0;
    }
    fuzz::expect(doc.value().root != nullptr, "a parsed pickle has a root");
    for (const pickle::ValuePtr &v : doc.value().values)
        if (v)
            visit(*v);
    return 0;
}
