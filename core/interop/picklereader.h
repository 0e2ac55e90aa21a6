#pragma once

// No torch header here: the pickle reader builds plain values only.

#include "core/common/result.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace yolodeck::pickle {

struct Value;
using ValuePtr = std::shared_ptr<Value>;

// A tensor as the pickle describes it (torch._utils._rebuild_tensor_v2 over a persistent storage
// id): where its bytes are and how to view them. No byte is read by the pickle reader.
struct TensorRef
{
    std::string storageKey;  // the archive record "data/<storageKey>"
    std::string storageType; // "FloatStorage", "HalfStorage", ...
    int64_t storageNumel = 0;
    int64_t offset = 0;
    std::vector<int64_t> sizes;
    std::vector<int64_t> strides;
    bool parameter = false; // rebuilt through _rebuild_parameter
};

// One value of the pickle's object graph. Containers hold shared pointers, so a value that the
// pickle memoised and referenced twice is one value here too (the reader never copies).
//
// Nothing is executed: a class the reader does not know becomes an Object that keeps its class
// name, its constructor arguments and the state BUILD gave it. The only calls the reader
// interprets are data constructors whose meaning is fixed: collections.OrderedDict (a Dict),
// torch._utils._rebuild_tensor_v2 / _rebuild_parameter(_with_state) (a Tensor), _codecs.encode
// (Bytes, how protocol 2 writes bytes), numpy's multiarray.scalar over a numeric dtype (Int or
// Float) and builtins set/frozenset (a Set).
struct Value
{
    enum class Kind
    {
        None,
        Bool,
        Int,
        Float,
        String, // text, UTF-8
        Bytes,
        Tuple,
        List,
        Set,
        Dict,
        Global,  // a class or function named by GLOBAL/STACK_GLOBAL: module, name
        Object,  // an instance of a class: module, name, args, state (+ items/entries it got)
        Storage, // a persistent storage id: tensor.storageKey/storageType/storageNumel
        Tensor,
    };

    Kind kind = Kind::None;
    bool boolean = false;
    int64_t integer = 0;
    double real = 0;
    std::string text;                                   // String, Bytes
    std::string module, name;                           // Global, Object
    std::vector<ValuePtr> items;                        // Tuple, List, Set; Object: APPENDed
    std::vector<std::pair<ValuePtr, ValuePtr>> entries; // Dict; Object: SETITEMed
    ValuePtr args;                                      // Object: the constructor's arguments
    ValuePtr state;                                     // Object: what BUILD gave it
    std::shared_ptr<TensorRef> tensor;                  // Storage, Tensor

    bool isNone() const { return kind == Kind::None; }
    bool isNumber() const { return kind == Kind::Int || kind == Kind::Float || kind == Kind::Bool; }
    double toDouble() const;
    std::string qualifiedName() const { return module + "." + name; } // Global, Object

    // Dict lookup by a string or an integer key; nullptr when absent or not a Dict.
    const Value *get(std::string_view key) const;
    const Value *get(int64_t key) const;
    // An Object's attribute: its BUILD state is a dict (or a (dict, slots) tuple) of attributes.
    const Value *attribute(std::string_view name) const;
};

struct Limits
{
    int64_t maxStack = 1 << 22; // values on the stack at once
    int64_t maxMarks = 4096;    // nested MARKs (how deep a literal container can nest)
    int64_t maxMemo = 1 << 24;  // memo entries
    int64_t maxDims = 64;       // tensor dimensions
    int64_t maxIntBytes = 8;    // LONG1/LONG4 beyond 64 bits are refused
};

// A parsed pickle: the root value and every value of its graph. The values live as long as the
// Document: its destructor cuts every link between them (so a hostile graph that nests a million
// deep or refers to itself is freed flat), so keep the Document while using any of them.
struct Document
{
    ValuePtr root;
    std::vector<ValuePtr> values;

    Document() = default;
    Document(Document &&other) noexcept = default;
    Document &operator=(Document &&other) noexcept;
    Document(const Document &) = delete;
    Document &operator=(const Document &) = delete;
    ~Document();

    static void release(std::vector<ValuePtr> &values);
};

// Parses pickle protocols 0 to 5 (as torch.save writes them: 2 by default, 4 and 5 on request).
// Every length and offset is checked against the input, and the input is never trusted: a
// truncated, damaged or hostile pickle gives a one-line reason ("truncated at byte 812 in
// BINUNICODE", "unsupported opcode 0x97 (out-of-band buffer) at byte 40"), never a crash.
Result<Document> parse(std::string_view data, const Limits &limits = {});

// A short description for messages: "dict", "ultralytics.nn.tasks.DetectionModel", "None", ...
std::string describe(const Value &value);

} // namespace yolodeck::pickle
