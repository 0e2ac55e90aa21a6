// The pickle reader on hand-written opcode streams: what each construct becomes, that shared
// references stay shared, that nothing is executed, and that hostile streams (deep nesting,
// self-reference, huge lengths, truncation) give one line and no crash.

#include "core/interop/picklereader.h"

#include <QDir>
#include <QFile>
#include <QTest>

#include <cstring>
#include <string>

using namespace std::string_literals;

using namespace yolodeck;
using pickle::Value;
using Kind = pickle::Value::Kind;

namespace {

std::string bytes(std::initializer_list<int> codes)
{
    std::string s;
    for (int c : codes)
        s.push_back(char(c));
    return s;
}

std::string shortUnicode(const std::string &text)
{
    return bytes({0x8c, int(text.size())}) + text;
}

std::string global(const std::string &module, const std::string &name)
{
    return "c" + module + "\n" + name + "\n";
}

const std::string kProto2 = bytes({0x80, 2});
const std::string kStop = ".";

} // namespace

class TestPickleReader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void scalars_data();
    void scalars();
    void orderedDictWithSetItems();
    void memoHoldsSharedReferences();
    void unknownClassIsKeptNotCalled();
    void reduceThenBuildKeepsState();
    void numpyScalarAndLatin1Bytes();
    void tensorFromPersistentStorage();
    void malformed_data();
    void malformed();
    void deepNestingIsFreedWithoutRecursion();
    void selfReferenceDoesNotHang();
};

void TestPickleReader::scalars_data()
{
    QTest::addColumn<QByteArray>("stream");
    QTest::addColumn<int>("kind");
    QTest::addColumn<double>("number");
    QTest::addColumn<QString>("text");
    auto row = [](const char *name, const std::string &body, Kind kind, double number,
                  const QString &text = {}) {
        QTest::newRow(name) << QByteArray::fromStdString(kProto2 + body + kStop) << int(kind)
                            << number << text;
    };
    row("BININT1", bytes({'K', 200}), Kind::Int, 200);
    row("BININT2", bytes({'M', 0x34, 0x12}), Kind::Int, 0x1234);
    row("BININT negative", bytes({'J', 0xfe, 0xff, 0xff, 0xff}), Kind::Int, -2);
    row("LONG1 negative", bytes({0x8a, 2, 0x00, 0x80}), Kind::Int, -32768);
    row("LONG1 empty is zero", bytes({0x8a, 0}), Kind::Int, 0);
    row("BINFLOAT", bytes({'G', 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}), Kind::Float, 1.5);
    row("text INT", "I42\n", Kind::Int, 42);
    row("text bool", "I01\n", Kind::Bool, 1);
    row("text FLOAT", "F-0.25\n", Kind::Float, -0.25);
    row("NEWTRUE", bytes({0x88}), Kind::Bool, 1);
    row("NONE", "N", Kind::None, qQNaN());
    row("SHORT_BINUNICODE", shortUnicode("epoch"), Kind::String, qQNaN(), QStringLiteral("epoch"));
    row("BINUNICODE", bytes({'X', 2, 0, 0, 0}) + "ok", Kind::String, qQNaN(), QStringLiteral("ok"));
    row("SHORT_BINBYTES", bytes({'C', 3}) + "abc", Kind::Bytes, qQNaN(), QStringLiteral("abc"));
}

void TestPickleReader::scalars()
{
    QFETCH(QByteArray, stream);
    QFETCH(int, kind);
    QFETCH(double, number);
    QFETCH(QString, text);
    const Result<pickle::Document> doc = pickle::parse(stream.toStdString());
    QVERIFY2(doc, qPrintable(doc.error()));
    const Value &v = *doc.value().root;
    QCOMPARE(int(v.kind), kind);
    if (!qIsNaN(number))
        QCOMPARE(v.toDouble(), number);
    if (!text.isEmpty())
        QCOMPARE(QString::fromStdString(v.text), text);
}

void TestPickleReader::orderedDictWithSetItems()
{
    // OrderedDict() then SETITEMS {'a': 1, 'b': 2} and a SETITEM 'c': 3: LibTorch's own unpickler
    // turns the OrderedDict into None and has no SETITEM.
    const std::string s = kProto2 + global("collections", "OrderedDict") + ")R" + "(" +
                          shortUnicode("a") + "K\x01"s + shortUnicode("b") + "K\x02"s + "u" +
                          shortUnicode("c") + "K\x03"s + "s" + kStop;
    const Result<pickle::Document> doc = pickle::parse(s);
    QVERIFY2(doc, qPrintable(doc.error()));
    const Value &d = *doc.value().root;
    QCOMPARE(d.kind, Kind::Dict);
    QCOMPARE(d.entries.size(), size_t(3));
    QCOMPARE(d.get("a")->integer, int64_t(1));
    QCOMPARE(d.get("c")->integer, int64_t(3));
    QCOMPARE(QString::fromStdString(d.entries[1].first->text), QStringLiteral("b")); // order kept
    QVERIFY(!d.get("z"));
}

void TestPickleReader::memoHoldsSharedReferences()
{
    // x = []; [x, x] with x memoised once, then one APPEND into x: both slots see it.
    const std::string s =
        kProto2 + "]q\x00"s + "0" + "(h\x00h\x00"s + "l" + "h\x00"s + "K\x07"s + "a" + "0" + kStop;
    const Result<pickle::Document> doc = pickle::parse(s);
    QVERIFY2(doc, qPrintable(doc.error()));
    const Value &outer = *doc.value().root;
    QCOMPARE(outer.kind, Kind::List);
    QCOMPARE(outer.items.size(), size_t(2));
    QCOMPARE(outer.items[0].get(), outer.items[1].get());
    QCOMPARE(outer.items[0]->items.size(), size_t(1));
    QCOMPARE(outer.items[1]->items[0]->integer, int64_t(7));
}

void TestPickleReader::unknownClassIsKeptNotCalled()
{
    // os.system('touch PWNED') as REDUCE: an opaque object with its arguments, nothing runs.
    const QString marker = QDir::temp().filePath(QStringLiteral("yolodeck-pickle-pwned"));
    QFile::remove(marker);
    const std::string cmd = "touch " + marker.toStdString();
    const std::string s = kProto2 + global("posix", "system") +
                          bytes({'X', int(cmd.size()), 0, 0, 0}) + cmd + bytes({0x85}) + "R" +
                          kStop;
    const Result<pickle::Document> doc = pickle::parse(s);
    QVERIFY2(doc, qPrintable(doc.error()));
    const Value &v = *doc.value().root;
    QCOMPARE(v.kind, Kind::Object);
    QCOMPARE(QString::fromStdString(v.qualifiedName()), QStringLiteral("posix.system"));
    QCOMPARE(QString::fromStdString(v.args->items[0]->text), QString::fromStdString(cmd));
    QVERIFY(!QFile::exists(marker));
}

void TestPickleReader::reduceThenBuildKeepsState()
{
    // IterableSimpleNamespace() then BUILD {'epochs': 10}: what LibTorch's unpickler rejects.
    const std::string s = kProto2 + global("ultralytics.utils", "IterableSimpleNamespace") + ")R" +
                          "}(" + shortUnicode("epochs") + "K\x0a"s + "u" + "b" + kStop;
    const Result<pickle::Document> doc = pickle::parse(s);
    QVERIFY2(doc, qPrintable(doc.error()));
    const Value &v = *doc.value().root;
    QCOMPARE(v.kind, Kind::Object);
    QCOMPARE(QString::fromStdString(v.name), QStringLiteral("IterableSimpleNamespace"));
    QVERIFY(v.attribute("epochs"));
    QCOMPARE(v.attribute("epochs")->integer, int64_t(10));
}

void TestPickleReader::numpyScalarAndLatin1Bytes()
{
    // numpy.float64(0.4321) as protocol 2 writes it: scalar(dtype('f8', False, True) + BUILD,
    // _codecs.encode('<8 chars>', 'latin1')).
    const double value = 0.4321;
    std::string raw(8, '\0');
    std::memcpy(raw.data(), &value, 8);
    std::string latin1AsUtf8;
    for (unsigned char c : raw) {
        if (c < 0x80) {
            latin1AsUtf8.push_back(char(c));
        } else {
            latin1AsUtf8.push_back(char(0xc0 | (c >> 6)));
            latin1AsUtf8.push_back(char(0x80 | (c & 0x3f)));
        }
    }
    const std::string dtype = global("numpy", "dtype") + shortUnicode("f8") + bytes({0x89, 0x88}) +
                              bytes({0x87}) + "R" + "(K\x03"s + shortUnicode("<") + "NNNJ" +
                              bytes({0xff, 0xff, 0xff, 0xff}) + "J" +
                              bytes({0xff, 0xff, 0xff, 0xff}) + "K\x00"s + "t" + "b";
    const std::string data = global("_codecs", "encode") +
                             bytes({'X', int(latin1AsUtf8.size()), 0, 0, 0}) + latin1AsUtf8 +
                             shortUnicode("latin1") + bytes({0x86}) + "R";
    const std::string s = kProto2 + global("numpy.core.multiarray", "scalar") + dtype + data +
                          bytes({0x86}) + "R" + kStop;
    const Result<pickle::Document> doc = pickle::parse(s);
    QVERIFY2(doc, qPrintable(doc.error()));
    QCOMPARE(doc.value().root->kind, Kind::Float);
    QCOMPARE(doc.value().root->real, value);
}

void TestPickleReader::tensorFromPersistentStorage()
{
    // _rebuild_tensor_v2(('storage', HalfStorage, '7', 'cuda:0', 6), 2, (2, 2), (2, 1), False,
    // OrderedDict()); the location is ignored.
    const std::string pid = "(" + shortUnicode("storage") + global("torch", "HalfStorage") +
                            shortUnicode("7") + shortUnicode("cuda:0") + "K\x06"s + "tQ";
    const std::string s = kProto2 + global("torch._utils", "_rebuild_tensor_v2") + "(" + pid +
                          "K\x02"s + "K\x02K\x02"s + bytes({0x86}) + "K\x02K\x01"s + bytes({0x86}) +
                          bytes({0x89}) + global("collections", "OrderedDict") + ")R" + "tR" +
                          kStop;
    const Result<pickle::Document> doc = pickle::parse(s);
    QVERIFY2(doc, qPrintable(doc.error()));
    const Value &t = *doc.value().root;
    QCOMPARE(t.kind, Kind::Tensor);
    QCOMPARE(QString::fromStdString(t.tensor->storageKey), QStringLiteral("7"));
    QCOMPARE(QString::fromStdString(t.tensor->storageType), QStringLiteral("HalfStorage"));
    QCOMPARE(t.tensor->storageNumel, int64_t(6));
    QCOMPARE(t.tensor->offset, int64_t(2));
    QCOMPARE(t.tensor->sizes, (std::vector<int64_t>{2, 2}));
    QCOMPARE(t.tensor->strides, (std::vector<int64_t>{2, 1}));
}

void TestPickleReader::malformed_data()
{
    QTest::addColumn<QByteArray>("stream");
    QTest::addColumn<QString>("reason");
    auto row = [](const char *name, const std::string &s, const char *reason) {
        QTest::newRow(name) << QByteArray::fromStdString(s) << QString::fromLatin1(reason);
    };
    row("empty", "", "truncated at byte 0");
    row("no STOP", kProto2 + "K\x01"s, "truncated");
    row("string longer than the data", kProto2 + bytes({'X', 0xff, 0xff, 0xff, 0x7f}) + "abc",
        "truncated at byte 7 in BINUNICODE");
    row("8-byte length near 2^64",
        kProto2 + bytes({0x8d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) + "x", "truncated");
    row("unknown opcode", kProto2 + bytes({0xfe}), "unknown opcode 0xfe");
    row("protocol 6", bytes({0x80, 6}), "newer than 5");
    row("out-of-band buffer", bytes({0x80, 5, 0x97}), "out-of-band");
    row("stack underflow", kProto2 + "a", "stack underflow");
    row("memo miss", kProto2 + "h\x05"s, "memo GET of missing entry 5");
    row("APPEND onto an int",
        kProto2 +
            "K\x01K\x02"
            "a"s +
            kStop,
        "APPENDS on int");
    row("huge integer", kProto2 + bytes({0x8a, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9}) + kStop,
        "integer of 9 bytes");
    row("two values at STOP", kProto2 + "K\x01K\x02"s + kStop, "STOP with 2 values");
    row("REDUCE on a number", kProto2 + "K\x01)R"s + kStop, "REDUCE on int");
    row("persistent id not a storage", kProto2 + "K\x01Q"s + kStop, "not a PyTorch storage");
    row("tensor without storage",
        kProto2 + global("torch._utils", "_rebuild_tensor_v2") + "(K\x01K\x00)"s + ")" + "tR" +
            kStop,
        "_rebuild_tensor_v2 without a storage");
    row("extension code", kProto2 + bytes({0x82, 1}), "extension registry");
    std::string marks = kProto2;
    for (int k = 0; k < 5000; ++k)
        marks += "(";
    row("marks nested too deep", marks, "nested deeper than 4096");
}

void TestPickleReader::malformed()
{
    QFETCH(QByteArray, stream);
    QFETCH(QString, reason);
    const Result<pickle::Document> doc = pickle::parse(stream.toStdString());
    QVERIFY(!doc);
    QVERIFY2(doc.error().contains(reason), qPrintable(doc.error()));
    QVERIFY(!doc.error().contains(QLatin1Char('\n')));
}

void TestPickleReader::deepNestingIsFreedWithoutRecursion()
{
    // A million lists, each inside the previous one (EMPTY_LIST, BINPUT, APPEND, POP, BINGET):
    // freeing such a tree recursively would overflow the stack.
    std::string s = kProto2 + "]q\x01"s; // the root, kept in memo slot 1
    const int depth = 1000000;
    s.reserve(size_t(depth) * 7 + 16);
    for (int k = 0; k < depth; ++k)
        s += "]q\x00"s
             "a0h\x00"s;    // new list, into the current one, which it replaces
    s += "0h\x01"s + kStop; // drop the innermost, return the root
    {
        const Result<pickle::Document> doc = pickle::parse(s);
        QVERIFY2(doc, qPrintable(doc.error()));
        const Value *v = doc.value().root.get();
        int seen = 0;
        while (v && !v->items.empty() && seen < depth + 1) {
            v = v->items[0].get();
            ++seen;
        }
        QCOMPARE(seen, depth);
    } // the Document is destroyed here: no crash is the assertion
}

void TestPickleReader::selfReferenceDoesNotHang()
{
    // l = []; l.append(l): the graph is a cycle; the reader returns it and frees it.
    const std::string s = kProto2 +
                          "]q\x00h\x00"s
                          "a" +
                          kStop;
    const Result<pickle::Document> doc = pickle::parse(s);
    QVERIFY2(doc, qPrintable(doc.error()));
    const Value &l = *doc.value().root;
    QCOMPARE(l.items.size(), size_t(1));
    QCOMPARE(l.items[0].get(), &l);
    QCOMPARE(pickle::describe(l), std::string("list"));
}

QTEST_GUILESS_MAIN(TestPickleReader)
#include "tst_picklereader.moc"
