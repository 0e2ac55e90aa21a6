#include "core/interop/picklereader.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

namespace yolodeck::pickle {

double Value::toDouble() const
{
    switch (kind) {
    case Kind::Bool:
        return boolean ? 1.0 : 0.0;
    case Kind::Int:
        return double(integer);
    case Kind::Float:
        return real;
    default:
        return std::nan("");
    }
}

const Value *Value::get(std::string_view key) const
{
    if (kind != Kind::Dict)
        return nullptr;
    for (const auto &[k, v] : entries)
        if (k && k->kind == Kind::String && k->text == key)
            return v.get();
    return nullptr;
}

const Value *Value::get(int64_t key) const
{
    if (kind != Kind::Dict)
        return nullptr;
    for (const auto &[k, v] : entries)
        if (k && k->kind == Kind::Int && k->integer == key)
            return v.get();
    return nullptr;
}

const Value *Value::attribute(std::string_view attributeName) const
{
    if (kind != Kind::Object || !state)
        return nullptr;
    if (state->kind == Kind::Dict)
        return state->get(attributeName);
    // (dict, slots) as object.__reduce_ex__ writes it for classes with __slots__.
    if (state->kind == Kind::Tuple && state->items.size() == 2) {
        for (const ValuePtr &part : state->items)
            if (part && part->kind == Kind::Dict)
                if (const Value *v = part->get(attributeName))
                    return v;
    }
    return nullptr;
}

std::string describe(const Value &value)
{
    switch (value.kind) {
    case Value::Kind::None:
        return "None";
    case Value::Kind::Bool:
        return "bool";
    case Value::Kind::Int:
        return "int";
    case Value::Kind::Float:
        return "float";
    case Value::Kind::String:
        return "str";
    case Value::Kind::Bytes:
        return "bytes";
    case Value::Kind::Tuple:
        return "tuple";
    case Value::Kind::List:
        return "list";
    case Value::Kind::Set:
        return "set";
    case Value::Kind::Dict:
        return "dict";
    case Value::Kind::Global:
        return "global " + value.qualifiedName();
    case Value::Kind::Object:
        return value.qualifiedName();
    case Value::Kind::Storage:
        return "storage";
    case Value::Kind::Tensor:
        return "tensor";
    }
    return "?";
}

namespace {

// Opcodes of pickle protocols 0-5 (Python's Lib/pickletools.py documents each one).
enum Op : unsigned char
{
    MARK = '(',
    STOP = '.',
    POP = '0',
    POP_MARK = '1',
    DUP = '2',
    FLOAT = 'F',
    INT = 'I',
    BININT = 'J',
    BININT1 = 'K',
    LONG = 'L',
    BININT2 = 'M',
    NONE = 'N',
    PERSID = 'P',
    BINPERSID = 'Q',
    REDUCE = 'R',
    STRING = 'S',
    BINSTRING = 'T',
    SHORT_BINSTRING = 'U',
    UNICODE = 'V',
    BINUNICODE = 'X',
    APPEND = 'a',
    BUILD = 'b',
    GLOBAL = 'c',
    DICT = 'd',
    EMPTY_DICT = '}',
    APPENDS = 'e',
    GET = 'g',
    BINGET = 'h',
    INST = 'i',
    LONG_BINGET = 'j',
    LIST = 'l',
    EMPTY_LIST = ']',
    OBJ = 'o',
    PUT = 'p',
    BINPUT = 'q',
    LONG_BINPUT = 'r',
    SETITEM = 's',
    TUPLE = 't',
    EMPTY_TUPLE = ')',
    SETITEMS = 'u',
    BINFLOAT = 'G',
    PROTO = 0x80,
    NEWOBJ = 0x81,
    EXT1 = 0x82,
    EXT2 = 0x83,
    EXT4 = 0x84,
    TUPLE1 = 0x85,
    TUPLE2 = 0x86,
    TUPLE3 = 0x87,
    NEWTRUE = 0x88,
    NEWFALSE = 0x89,
    LONG1 = 0x8a,
    LONG4 = 0x8b,
    BINBYTES = 'B',
    SHORT_BINBYTES = 'C',
    SHORT_BINUNICODE = 0x8c,
    BINUNICODE8 = 0x8d,
    BINBYTES8 = 0x8e,
    EMPTY_SET = 0x8f,
    ADDITEMS = 0x90,
    FROZENSET = 0x91,
    NEWOBJ_EX = 0x92,
    STACK_GLOBAL = 0x93,
    MEMOIZE = 0x94,
    FRAME = 0x95,
    BYTEARRAY8 = 0x96,
    NEXT_BUFFER = 0x97,
    READONLY_BUFFER = 0x98,
};

// The parse fails by throwing this inside the machine only; parse() turns it into a Result.
struct ParseError
{
    std::string message;
};

class Machine
{
public:
    Machine(std::string_view data, const Limits &limits)
        : m_data(data)
        , m_limits(limits)
    {}

    ValuePtr run()
    {
        while (true) {
            m_opStart = m_pos;
            const unsigned char op = byte("opcode");
            if (op == STOP)
                break;
            step(op);
        }
        if (m_stack.size() != 1 || !m_marks.empty())
            fail("STOP with " + std::to_string(m_stack.size()) + " values on the stack");
        return m_stack.back();
    }

    std::vector<ValuePtr> takeValues() { return std::move(m_all); }

private:
    ValuePtr make(Value::Kind kind)
    {
        auto v = std::make_shared<Value>();
        v->kind = kind;
        m_all.push_back(v);
        return v;
    }

    ValuePtr makeInt(int64_t i)
    {
        ValuePtr v = make(Value::Kind::Int);
        v->integer = i;
        return v;
    }

    ValuePtr makeText(Value::Kind kind, std::string text)
    {
        ValuePtr v = make(kind);
        v->text = std::move(text);
        return v;
    }

    ValuePtr tupleOf(std::vector<ValuePtr> items)
    {
        ValuePtr t = make(Value::Kind::Tuple);
        t->items = std::move(items);
        return t;
    }

    [[noreturn]] void fail(const std::string &what) const
    {
        throw ParseError{what + " (opcode at byte " + std::to_string(m_opStart) + ")"};
    }

    void need(uint64_t n, const char *what) const
    {
        if (n > m_data.size() - m_pos)
            throw ParseError{"truncated at byte " + std::to_string(m_pos) + " in " + what};
    }

    unsigned char byte(const char *what)
    {
        need(1, what);
        return static_cast<unsigned char>(m_data[m_pos++]);
    }

    uint64_t littleEndian(int n, const char *what)
    {
        need(uint64_t(n), what);
        uint64_t v = 0;
        for (int k = 0; k < n; ++k)
            v |= uint64_t(static_cast<unsigned char>(m_data[m_pos + k])) << (8 * k);
        m_pos += size_t(n);
        return v;
    }

    std::string bytes(uint64_t n, const char *what)
    {
        need(n, what);
        std::string out(m_data.substr(m_pos, size_t(n)));
        m_pos += size_t(n);
        return out;
    }

    std::string line(const char *what)
    {
        const size_t end = m_data.find('\n', m_pos);
        if (end == std::string_view::npos)
            throw ParseError{"truncated at byte " + std::to_string(m_pos) + " in " + what};
        std::string out(m_data.substr(m_pos, end - m_pos));
        m_pos = end + 1;
        return out;
    }

    void push(ValuePtr v)
    {
        if (int64_t(m_stack.size()) >= m_limits.maxStack)
            fail("more than " + std::to_string(m_limits.maxStack) + " values on the stack");
        m_stack.push_back(std::move(v));
    }

    ValuePtr pop()
    {
        if (m_stack.empty() || (!m_marks.empty() && m_stack.size() <= m_marks.back()))
            fail("stack underflow");
        ValuePtr v = std::move(m_stack.back());
        m_stack.pop_back();
        return v;
    }

    ValuePtr &top()
    {
        if (m_stack.empty() || (!m_marks.empty() && m_stack.size() <= m_marks.back()))
            fail("stack underflow");
        return m_stack.back();
    }

    // The values pushed since the last MARK, which is removed.
    std::vector<ValuePtr> popMark()
    {
        if (m_marks.empty())
            fail("no MARK on the stack");
        const size_t at = m_marks.back();
        m_marks.pop_back();
        std::vector<ValuePtr> out(std::make_move_iterator(m_stack.begin() + long(at)),
                                  std::make_move_iterator(m_stack.end()));
        m_stack.resize(at);
        return out;
    }

    void memoPut(uint64_t index)
    {
        if (m_stack.empty())
            fail("memo PUT with an empty stack");
        if (m_memo.size() >= size_t(m_limits.maxMemo) && !m_memo.count(index))
            fail("more than " + std::to_string(m_limits.maxMemo) + " memo entries");
        m_memo[index] = m_stack.back();
    }

    void memoGet(uint64_t index)
    {
        const auto it = m_memo.find(index);
        if (it == m_memo.end())
            fail("memo GET of missing entry " + std::to_string(index));
        push(it->second);
    }

    void global(std::string module, std::string name)
    {
        ValuePtr g = make(Value::Kind::Global);
        g->module = std::move(module);
        g->name = std::move(name);
        push(std::move(g));
    }

    static const Value &item(const Value &tuple, size_t k)
    {
        if (tuple.kind != Value::Kind::Tuple || k >= tuple.items.size() || !tuple.items[k])
            throw ParseError{"malformed arguments"};
        return *tuple.items[k];
    }

    std::vector<int64_t> intTuple(const Value &v, const char *what) const
    {
        if (v.kind != Value::Kind::Tuple && v.kind != Value::Kind::List)
            fail(std::string("tensor ") + what + " is not a tuple");
        if (int64_t(v.items.size()) > m_limits.maxDims)
            fail(std::string("tensor ") + what + " has too many dimensions");
        std::vector<int64_t> out;
        for (const ValuePtr &x : v.items) {
            if (!x || x->kind != Value::Kind::Int)
                fail(std::string("tensor ") + what + " holds a non-integer");
            out.push_back(x->integer);
        }
        return out;
    }

    // torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
    // backward_hooks[, metadata]).
    ValuePtr rebuildTensor(const Value &args)
    {
        const Value &storage = item(args, 0);
        if (storage.kind != Value::Kind::Storage)
            fail("_rebuild_tensor_v2 without a storage");
        const Value &offset = item(args, 1);
        if (offset.kind != Value::Kind::Int)
            fail("_rebuild_tensor_v2 with a non-integer offset");
        auto ref = std::make_shared<TensorRef>(*storage.tensor);
        ref->offset = offset.integer;
        ref->sizes = intTuple(item(args, 2), "size");
        ref->strides = intTuple(item(args, 3), "stride");
        if (ref->sizes.size() != ref->strides.size())
            fail("tensor size and stride differ in length");
        ValuePtr t = make(Value::Kind::Tensor);
        t->tensor = std::move(ref);
        return t;
    }

    // numpy.core.multiarray.scalar(dtype, raw bytes): numpy scalars such as best_fitness.
    ValuePtr numpyScalar(const Value &args)
    {
        const Value &dtype = item(args, 0);
        const Value &raw = item(args, 1);
        if (dtype.kind != Value::Kind::Object || !dtype.args || raw.kind != Value::Kind::Bytes)
            return nullptr;
        const Value &code = item(*dtype.args, 0);
        if (code.kind != Value::Kind::String)
            return nullptr;
        const std::string &c = code.text;
        const std::string &b = raw.text;
        auto load = [&](auto sample) {
            decltype(sample) v;
            std::memcpy(&v, b.data(), sizeof v); // little-endian hosts, as numpy wrote them
            return v;
        };
        if (c == "f8" && b.size() == 8) {
            ValuePtr v = make(Value::Kind::Float);
            v->real = load(double());
            return v;
        }
        if (c == "f4" && b.size() == 4) {
            ValuePtr v = make(Value::Kind::Float);
            v->real = load(float());
            return v;
        }
        if (c == "i8" && b.size() == 8)
            return makeInt(load(int64_t()));
        if (c == "i4" && b.size() == 4)
            return makeInt(load(int32_t()));
        if (c == "b1" && b.size() == 1) {
            ValuePtr v = make(Value::Kind::Bool);
            v->boolean = b[0] != 0;
            return v;
        }
        return nullptr;
    }

    // REDUCE: callable(*args). Only data constructors with a fixed meaning are interpreted;
    // everything else becomes an opaque Object.
    ValuePtr reduce(const ValuePtr &callable, const ValuePtr &args)
    {
        if (callable->kind != Value::Kind::Global)
            fail("REDUCE on " + describe(*callable));
        if (args->kind != Value::Kind::Tuple)
            fail("REDUCE with arguments that are not a tuple");
        const std::string q = callable->qualifiedName();
        if (q == "collections.OrderedDict") {
            ValuePtr d = make(Value::Kind::Dict);
            if (!args->items.empty() && args->items[0] && args->items[0]->kind == Value::Kind::List)
                for (const ValuePtr &pair : args->items[0]->items)
                    if (pair && pair->kind == Value::Kind::Tuple && pair->items.size() == 2)
                        d->entries.emplace_back(pair->items[0], pair->items[1]);
            return d;
        }
        if (q == "torch._utils._rebuild_tensor_v2")
            return rebuildTensor(*args);
        if (q == "torch._utils._rebuild_parameter" ||
            q == "torch._utils._rebuild_parameter_with_state") {
            const Value &data = item(*args, 0);
            if (data.kind != Value::Kind::Tensor)
                fail("_rebuild_parameter without a tensor");
            ValuePtr t = make(Value::Kind::Tensor);
            t->tensor = std::make_shared<TensorRef>(*data.tensor);
            t->tensor->parameter = true;
            return t;
        }
        if (q == "_codecs.encode") {
            // Protocol 2 writes bytes as _codecs.encode(text, 'latin1'): each code point < 256
            // is one byte.
            const Value &text = item(*args, 0);
            if (text.kind != Value::Kind::String)
                fail("_codecs.encode of a non-string");
            std::string out;
            const std::string &s = text.text;
            for (size_t k = 0; k < s.size();) {
                const unsigned char c = static_cast<unsigned char>(s[k]);
                if (c < 0x80) {
                    out.push_back(char(c));
                    k += 1;
                } else if ((c & 0xe0) == 0xc0 && k + 1 < s.size()) {
                    const unsigned cp =
                        ((c & 0x1fu) << 6) | (static_cast<unsigned char>(s[k + 1]) & 0x3fu);
                    if (cp > 0xff)
                        fail("_codecs.encode of a character above U+00FF");
                    out.push_back(char(cp));
                    k += 2;
                } else {
                    fail("_codecs.encode of a character above U+00FF");
                }
            }
            return makeText(Value::Kind::Bytes, std::move(out));
        }
        if (q == "numpy.core.multiarray.scalar" || q == "numpy._core.multiarray.scalar") {
            if (ValuePtr v = numpyScalar(*args))
                return v;
        }
        if (q == "builtins.set" || q == "builtins.frozenset" || q == "__builtin__.set") {
            ValuePtr s = make(Value::Kind::Set);
            if (!args->items.empty() && args->items[0] &&
                (args->items[0]->kind == Value::Kind::List ||
                 args->items[0]->kind == Value::Kind::Tuple))
                s->items = args->items[0]->items;
            return s;
        }
        ValuePtr object = make(Value::Kind::Object);
        // copyreg._reconstructor(cls, base, state) is how protocol 2 writes a plain instance.
        if (q == "copyreg._reconstructor" && !args->items.empty() && args->items[0] &&
            args->items[0]->kind == Value::Kind::Global) {
            object->module = args->items[0]->module;
            object->name = args->items[0]->name;
        } else {
            object->module = callable->module;
            object->name = callable->name;
        }
        object->args = args;
        return object;
    }

    ValuePtr newObject(const ValuePtr &cls, const ValuePtr &args)
    {
        if (cls->kind != Value::Kind::Global)
            fail("NEWOBJ on " + describe(*cls));
        if (cls->qualifiedName() == "collections.OrderedDict")
            return make(Value::Kind::Dict);
        ValuePtr object = make(Value::Kind::Object);
        object->module = cls->module;
        object->name = cls->name;
        object->args = args;
        return object;
    }

    void setItems(Value &target, std::vector<ValuePtr> &&kv)
    {
        if (kv.size() % 2 != 0)
            fail("SETITEMS with an odd number of values");
        if (target.kind != Value::Kind::Dict && target.kind != Value::Kind::Object)
            fail("SETITEMS on " + describe(target));
        for (size_t k = 0; k < kv.size(); k += 2)
            target.entries.emplace_back(std::move(kv[k]), std::move(kv[k + 1]));
    }

    void appendItems(Value &target, std::vector<ValuePtr> &&values)
    {
        if (target.kind != Value::Kind::List && target.kind != Value::Kind::Object)
            fail("APPENDS on " + describe(target));
        for (ValuePtr &v : values)
            target.items.push_back(std::move(v));
    }

    int64_t textInt(const std::string &s, const char *what) const
    {
        std::string digits = s;
        if (!digits.empty() && digits.back() == 'L')
            digits.pop_back();
        if (digits.empty() || digits.size() > 20)
            fail(std::string("bad ") + what);
        char *end = nullptr;
        errno = 0;
        const long long v = std::strtoll(digits.c_str(), &end, 10);
        if (errno != 0 || end != digits.c_str() + digits.size())
            fail(std::string("bad ") + what);
        return v;
    }

    ValuePtr longValue(const std::string &raw)
    {
        if (int64_t(raw.size()) > m_limits.maxIntBytes)
            fail("integer of " + std::to_string(raw.size()) + " bytes");
        uint64_t v = 0;
        for (size_t k = 0; k < raw.size(); ++k)
            v |= uint64_t(static_cast<unsigned char>(raw[k])) << (8 * k);
        if (!raw.empty() && raw.size() < 8 && (static_cast<unsigned char>(raw.back()) & 0x80))
            v |= ~uint64_t(0) << (8 * raw.size()); // sign-extend
        return makeInt(int64_t(v));
    }

    void step(unsigned char op)
    {
        switch (op) {
        case PROTO:
            if (byte("PROTO") > 5)
                fail("pickle protocol newer than 5");
            return;
        case FRAME:
            littleEndian(8, "FRAME"); // frames only group opcodes; their content follows inline
            return;
        case MARK:
            if (int64_t(m_marks.size()) >= m_limits.maxMarks)
                fail("containers nested deeper than " + std::to_string(m_limits.maxMarks));
            m_marks.push_back(m_stack.size());
            return;
        case POP:
            if (!m_marks.empty() && m_stack.size() == m_marks.back())
                m_marks.pop_back(); // POP of a MARK
            else
                pop();
            return;
        case POP_MARK:
            popMark();
            return;
        case DUP:
            push(top());
            return;
        case NONE:
            push(make(Value::Kind::None));
            return;
        case NEWTRUE:
        case NEWFALSE: {
            ValuePtr v = make(Value::Kind::Bool);
            v->boolean = op == NEWTRUE;
            push(std::move(v));
            return;
        }
        case INT: {
            const std::string s = line("INT");
            if (s == "00" || s == "01") { // protocol 0 booleans
                ValuePtr v = make(Value::Kind::Bool);
                v->boolean = s == "01";
                push(std::move(v));
            } else {
                push(makeInt(textInt(s, "INT")));
            }
            return;
        }
        case LONG:
            push(makeInt(textInt(line("LONG"), "LONG")));
            return;
        case BININT:
            push(makeInt(int32_t(uint32_t(littleEndian(4, "BININT")))));
            return;
        case BININT1:
            push(makeInt(int64_t(littleEndian(1, "BININT1"))));
            return;
        case BININT2:
            push(makeInt(int64_t(littleEndian(2, "BININT2"))));
            return;
        case LONG1: {
            const uint64_t n = littleEndian(1, "LONG1");
            push(longValue(bytes(n, "LONG1")));
            return;
        }
        case LONG4: {
            const int64_t n = int32_t(uint32_t(littleEndian(4, "LONG4")));
            if (n < 0)
                fail("negative LONG4 length");
            push(longValue(bytes(uint64_t(n), "LONG4")));
            return;
        }
        case FLOAT: {
            const std::string s = line("FLOAT");
            char *end = nullptr;
            ValuePtr v = make(Value::Kind::Float);
            v->real = std::strtod(s.c_str(), &end);
            if (s.empty() || end != s.c_str() + s.size())
                fail("bad FLOAT");
            push(std::move(v));
            return;
        }
        case BINFLOAT: {
            const uint64_t bigEndian = littleEndian(8, "BINFLOAT");
            uint64_t bits = 0;
            for (int k = 0; k < 8; ++k)
                bits |= ((bigEndian >> (8 * k)) & 0xff) << (8 * (7 - k));
            ValuePtr v = make(Value::Kind::Float);
            std::memcpy(&v->real, &bits, sizeof bits);
            push(std::move(v));
            return;
        }
        case STRING: {
            // Protocol 0 str: a quoted repr. Only the quotes are removed; escapes stay as written.
            std::string s = line("STRING");
            if (s.size() < 2 || (s.front() != '\'' && s.front() != '"') || s.back() != s.front())
                fail("bad STRING");
            push(makeText(Value::Kind::String, s.substr(1, s.size() - 2)));
            return;
        }
        case BINSTRING: {
            const int64_t n = int32_t(uint32_t(littleEndian(4, "BINSTRING")));
            if (n < 0)
                fail("negative BINSTRING length");
            push(makeText(Value::Kind::String, bytes(uint64_t(n), "BINSTRING")));
            return;
        }
        case SHORT_BINSTRING:
            push(makeText(Value::Kind::String,
                          bytes(littleEndian(1, "SHORT_BINSTRING"), "SHORT_BINSTRING")));
            return;
        case UNICODE:
            push(makeText(Value::Kind::String, line("UNICODE")));
            return;
        case SHORT_BINUNICODE:
            push(makeText(Value::Kind::String,
                          bytes(littleEndian(1, "SHORT_BINUNICODE"), "SHORT_BINUNICODE")));
            return;
        case BINUNICODE:
            push(makeText(Value::Kind::String, bytes(littleEndian(4, "BINUNICODE"), "BINUNICODE")));
            return;
        case BINUNICODE8:
            push(makeText(Value::Kind::String,
                          bytes(littleEndian(8, "BINUNICODE8"), "BINUNICODE8")));
            return;
        case SHORT_BINBYTES:
            push(makeText(Value::Kind::Bytes,
                          bytes(littleEndian(1, "SHORT_BINBYTES"), "SHORT_BINBYTES")));
            return;
        case BINBYTES:
            push(makeText(Value::Kind::Bytes, bytes(littleEndian(4, "BINBYTES"), "BINBYTES")));
            return;
        case BINBYTES8:
            push(makeText(Value::Kind::Bytes, bytes(littleEndian(8, "BINBYTES8"), "BINBYTES8")));
            return;
        case BYTEARRAY8:
            push(makeText(Value::Kind::Bytes, bytes(littleEndian(8, "BYTEARRAY8"), "BYTEARRAY8")));
            return;
        case NEXT_BUFFER:
        case READONLY_BUFFER:
            fail("out-of-band buffers are not supported");
        case EMPTY_TUPLE:
            push(make(Value::Kind::Tuple));
            return;
        case TUPLE1:
        case TUPLE2:
        case TUPLE3: {
            const size_t n = size_t(op - TUPLE1 + 1);
            std::vector<ValuePtr> items(n);
            for (size_t k = n; k-- > 0;)
                items[k] = pop();
            push(tupleOf(std::move(items)));
            return;
        }
        case TUPLE:
            push(tupleOf(popMark()));
            return;
        case EMPTY_LIST:
            push(make(Value::Kind::List));
            return;
        case LIST: {
            ValuePtr l = make(Value::Kind::List);
            l->items = popMark();
            push(std::move(l));
            return;
        }
        case APPEND: {
            ValuePtr v = pop();
            appendItems(*top(), {std::move(v)});
            return;
        }
        case APPENDS: {
            std::vector<ValuePtr> values = popMark();
            appendItems(*top(), std::move(values));
            return;
        }
        case EMPTY_DICT:
            push(make(Value::Kind::Dict));
            return;
        case DICT: {
            ValuePtr d = make(Value::Kind::Dict);
            setItems(*d, popMark());
            push(std::move(d));
            return;
        }
        case SETITEM: {
            ValuePtr v = pop();
            ValuePtr k = pop();
            setItems(*top(), {std::move(k), std::move(v)});
            return;
        }
        case SETITEMS: {
            std::vector<ValuePtr> kv = popMark();
            setItems(*top(), std::move(kv));
            return;
        }
        case EMPTY_SET:
            push(make(Value::Kind::Set));
            return;
        case ADDITEMS: {
            std::vector<ValuePtr> values = popMark();
            Value &set = *top();
            if (set.kind != Value::Kind::Set)
                fail("ADDITEMS on " + describe(set));
            for (ValuePtr &v : values)
                set.items.push_back(std::move(v));
            return;
        }
        case FROZENSET: {
            ValuePtr s = make(Value::Kind::Set);
            s->items = popMark();
            push(std::move(s));
            return;
        }
        case GLOBAL: {
            std::string module = line("GLOBAL");
            std::string name = line("GLOBAL");
            global(std::move(module), std::move(name));
            return;
        }
        case STACK_GLOBAL: {
            const ValuePtr name = pop();
            const ValuePtr module = pop();
            if (module->kind != Value::Kind::String || name->kind != Value::Kind::String)
                fail("STACK_GLOBAL without two strings");
            global(module->text, name->text);
            return;
        }
        case REDUCE: {
            const ValuePtr args = pop();
            const ValuePtr callable = pop();
            push(reduce(callable, args));
            return;
        }
        case NEWOBJ: {
            const ValuePtr args = pop();
            const ValuePtr cls = pop();
            push(newObject(cls, args));
            return;
        }
        case NEWOBJ_EX: {
            pop(); // keyword arguments
            const ValuePtr args = pop();
            const ValuePtr cls = pop();
            push(newObject(cls, args));
            return;
        }
        case INST: {
            std::string module = line("INST");
            std::string name = line("INST");
            ValuePtr object = make(Value::Kind::Object);
            object->module = std::move(module);
            object->name = std::move(name);
            object->args = tupleOf(popMark());
            push(std::move(object));
            return;
        }
        case OBJ: {
            std::vector<ValuePtr> values = popMark();
            if (values.empty())
                fail("OBJ without a class");
            ValuePtr cls = values.front();
            values.erase(values.begin());
            push(newObject(cls, tupleOf(std::move(values))));
            return;
        }
        case BUILD: {
            ValuePtr state = pop();
            Value &target = *top();
            if (target.kind == Value::Kind::Object)
                target.state = std::move(state);
            else if (target.kind == Value::Kind::Dict && state->kind == Value::Kind::Dict)
                for (const auto &entry : state->entries)
                    target.entries.push_back(entry);
            // Other targets (a tensor's BUILD of Python attributes) keep no state.
            return;
        }
        case PERSID:
            fail("text persistent ids are not used by PyTorch files");
        case BINPERSID: {
            const ValuePtr pid = pop();
            // ('storage', storage_type, key, location, numel); location (cpu, cuda:0) is
            // ignored: every tensor is read to the CPU.
            if (pid->kind != Value::Kind::Tuple || pid->items.size() < 5 || !pid->items[0] ||
                pid->items[0]->kind != Value::Kind::String || pid->items[0]->text != "storage")
                fail("persistent id is not a PyTorch storage");
            const Value &type = *pid->items[1];
            const Value &key = *pid->items[2];
            const Value &numel = *pid->items[4];
            if (type.kind != Value::Kind::Global || key.kind != Value::Kind::String ||
                numel.kind != Value::Kind::Int || numel.integer < 0)
                fail("malformed storage id");
            ValuePtr storage = make(Value::Kind::Storage);
            storage->tensor = std::make_shared<TensorRef>();
            storage->tensor->storageKey = key.text;
            storage->tensor->storageType = type.name;
            storage->tensor->storageNumel = numel.integer;
            push(std::move(storage));
            return;
        }
        case PUT:
            memoPut(uint64_t(textInt(line("PUT"), "PUT")));
            return;
        case BINPUT:
            memoPut(littleEndian(1, "BINPUT"));
            return;
        case LONG_BINPUT:
            memoPut(littleEndian(4, "LONG_BINPUT"));
            return;
        case MEMOIZE:
            memoPut(m_memo.size());
            return;
        case GET:
            memoGet(uint64_t(textInt(line("GET"), "GET")));
            return;
        case BINGET:
            memoGet(littleEndian(1, "BINGET"));
            return;
        case LONG_BINGET:
            memoGet(littleEndian(4, "LONG_BINGET"));
            return;
        case EXT1:
        case EXT2:
        case EXT4:
            fail("extension registry codes are not supported");
        default: {
            static const char hex[] = "0123456789abcdef";
            fail(std::string("unknown opcode 0x") + hex[op >> 4] + hex[op & 15]);
        }
        }
    }

    std::string_view m_data;
    Limits m_limits;
    size_t m_pos = 0;
    size_t m_opStart = 0;
    std::vector<ValuePtr> m_stack;
    std::vector<size_t> m_marks;
    std::unordered_map<uint64_t, ValuePtr> m_memo;
    std::vector<ValuePtr> m_all; // every value made, so that Document can free them flat
};

} // namespace

Document::~Document()
{
    release(values);
}

Document &Document::operator=(Document &&other) noexcept
{
    if (this != &other) {
        release(values);
        root = std::move(other.root);
        values = std::move(other.values);
    }
    return *this;
}

void Document::release(std::vector<ValuePtr> &all)
{
    // A hostile pickle can nest a million lists or make a list contain itself; cutting every
    // link first frees such graphs without recursion and without leaking cycles.
    for (const ValuePtr &v : all) {
        v->items.clear();
        v->entries.clear();
        v->args.reset();
        v->state.reset();
    }
    all.clear();
}

Result<Document> parse(std::string_view data, const Limits &limits)
{
    Machine machine(data, limits);
    try {
        ValuePtr root = machine.run();
        Document document;
        document.root = std::move(root);
        document.values = machine.takeValues();
        return Result<Document>::ok(std::move(document));
    } catch (const ParseError &e) {
        std::vector<ValuePtr> all = machine.takeValues();
        Document::release(all);
        return Result<Document>::fail(QString::fromStdString(e.message));
    } catch (const std::bad_alloc &) {
        std::vector<ValuePtr> all = machine.takeValues();
        Document::release(all);
        return Result<Document>::fail(QStringLiteral("out of memory while reading the pickle"));
    }
}

} // namespace yolodeck::pickle
