// A checkpoint opens in Python PyTorch with the one-liner documented in checkpointfile.h, and
// Python sees the same metadata, keys, dtypes, shapes and bytes as YoloDeck. Requires
// /usr/bin/python3 with PyTorch: a missing Python fails the test, because weights that only
// YoloDeck can read are locked in.

#include "core/checkpoint/checkpointfile.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace yolodeck;

class TestPythonRoundTrip : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void pythonReadsWhatYoloDeckWrote();
};

void TestPythonRoundTrip::pythonReadsWhatYoloDeckWrote()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    torch::manual_seed(3);
    CheckpointData data;
    data.meta = QJsonObject{{QStringLiteral("format"), 1},
                            {QStringLiteral("kind"), QStringLiteral("full")},
                            {QStringLiteral("epoch"), 7}};
    data.tensors["model.model.0.conv.weight"] = torch::randn({8, 3, 3, 3});
    data.tensors["ema.model.22.dfl.conv.weight"] = torch::randn({16}).to(torch::kHalf);
    data.tensors["optim.state.3.step"] = torch::tensor({int64_t(1) << 40, int64_t(-3)});
    data.tensors["rng.cpu"] = at::detail::getDefaultCPUGenerator().get_state();
    data.tensors["model.mask"] = torch::rand({9}) > 0.5;
    data.tensors["model.empty"] = torch::empty({0, 4});
    const QString path = dir.filePath(QStringLiteral("last.pt"));
    const Status saved = saveCheckpointAtomically(path, data);
    QVERIFY2(saved, qPrintable(saved.error()));

    // The documented one-liner, extended to print what the comparison needs.
    const QString script = QStringLiteral(
        "import sys, json, hashlib, torch\n"
        "e = {'meta.json': ''}\n"
        "t = torch.jit.load(sys.argv[1], _extra_files=e).tensors\n"
        "print(json.dumps({'epoch': json.loads(e['meta.json'])['epoch'], 'tensors': {\n"
        "    k: [str(v.dtype), list(v.shape), float(v.double().sum()),\n"
        "        hashlib.sha256(v.contiguous().numpy().tobytes()).hexdigest()]\n"
        "    for k, v in t.items()}}))\n");
    QProcess python;
    python.start(QStringLiteral("/usr/bin/python3"), {QStringLiteral("-c"), script, path});
    QVERIFY2(python.waitForFinished(120000), "python did not finish");
    const QByteArray out = python.readAllStandardOutput();
    QVERIFY2(python.exitStatus() == QProcess::NormalExit && python.exitCode() == 0,
             qPrintable(QStringLiteral("/usr/bin/python3 with PyTorch is required by this test "
                                       "(install python3-torch): %1")
                            .arg(QString::fromLocal8Bit(python.readAllStandardError()))));
    const QJsonObject seen = QJsonDocument::fromJson(out).object();
    QCOMPARE(seen.value(QStringLiteral("epoch")).toInt(), 7);

    const QJsonObject tensors = seen.value(QStringLiteral("tensors")).toObject();
    QCOMPARE(tensors.size(), qsizetype(data.tensors.size()));
    const std::map<c10::ScalarType, QString> pythonDtype = {
        {torch::kFloat, QStringLiteral("torch.float32")},
        {torch::kHalf, QStringLiteral("torch.float16")},
        {torch::kLong, QStringLiteral("torch.int64")},
        {torch::kByte, QStringLiteral("torch.uint8")},
        {torch::kBool, QStringLiteral("torch.bool")}};
    for (const auto &[key, tensor] : data.tensors) {
        const QJsonArray row = tensors.value(QString::fromStdString(key)).toArray();
        QVERIFY2(row.size() == 4, key.c_str());
        QCOMPARE(row[0].toString(), pythonDtype.at(tensor.scalar_type()));
        QJsonArray shape;
        for (const int64_t d : tensor.sizes())
            shape.append(qint64(d));
        QCOMPARE(row[1].toArray(), shape);
        const double sum = tensor.to(torch::kDouble).sum().item<double>();
        QVERIFY2(qAbs(row[2].toDouble() - sum) <= 1e-9 * qMax(1.0, qAbs(sum)),
                 qPrintable(QStringLiteral("%1: python %2, C++ %3")
                                .arg(QString::fromStdString(key))
                                .arg(row[2].toDouble(), 0, 'g', 17)
                                .arg(sum, 0, 'g', 17)));
        const torch::Tensor c = tensor.contiguous();
        const QByteArray bytes(static_cast<const char *>(c.data_ptr()),
                               c.numel() * c.element_size());
        QCOMPARE(row[3].toString(),
                 QString::fromLatin1(
                     QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex()));
    }
    qInfo("python read epoch 7 and %d tensors with identical bytes", int(tensors.size()));
}

QTEST_GUILESS_MAIN(TestPythonRoundTrip)
#include "tst_pythonroundtrip.moc"
