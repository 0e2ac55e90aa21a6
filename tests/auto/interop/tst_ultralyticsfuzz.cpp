// 1,200 damaged copies of an Ultralytics-shaped best.pt through the whole reader (zip, pickle,
// module walk, tensor views): each gives a result or one line naming the file, never a crash.
// It links the reader alone, so make test-asan runs it under AddressSanitizer and
// UndefinedBehaviorSanitizer quickly. The file comes from make_ultralytics_files.py.

#include "core/interop/ultralyticscheckpoint.h"

#include <QDir>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include "ultralyticsfiles.h"

using namespace yolodeck;

class TestUltralyticsFuzz : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void fuzzedFilesGiveOneLine();

private:
    QString file(const QString &name) const { return m_dir.filePath(name); }
    QTemporaryDir m_dir;
};

void TestUltralyticsFuzz::initTestCase()
{
    QVERIFY(m_dir.isValid());
    const QString failed = makeUltralyticsFiles(m_dir.path());
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    // The undamaged file reads.
    const Result<ForeignCheckpoint> good =
        loadUltralyticsCheckpoint(file(QStringLiteral("best.pt")));
    QVERIFY2(good, qPrintable(good.error()));
}

void TestUltralyticsFuzz::fuzzedFilesGiveOneLine()
{
    // 1,200 damaged copies of a real-shaped best.pt: truncations, bytes changed inside data.pkl
    // (the zip stores it uncompressed and PyTorch's reader skips zip CRCs, so every change reaches
    // the pickle reader), and bytes changed anywhere. Each gives a result or one line naming the
    // file; none crashes. Run under AddressSanitizer too (see the README).
    QFile f(file(QStringLiteral("best.pt")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const std::string original = f.readAll().toStdString();
    const size_t pickleAt = original.find("data.pkl"); // the local header (first record)
    QVERIFY(pickleAt != std::string::npos);
    const size_t pickleStart = pickleAt + 8; // the local header's name, then the extra field
    const size_t pickleEnd = original.find("PK\x03\x04", pickleStart + 64);
    QVERIFY(pickleEnd != std::string::npos && pickleEnd > pickleStart + 1000);

    QRandomGenerator random(20261201);
    const QString name = QStringLiteral("fuzzed.pt");
    int accepted = 0, refused = 0;
    QStringList reasons;
    for (int trial = 0; trial < 1200; ++trial) {
        std::string bytes = original;
        if (trial < 300) {
            bytes.resize(size_t(random.bounded(quint64(original.size()))));
        } else if (trial < 1000) {
            const int changes = 1 + int(random.bounded(8));
            for (int c = 0; c < changes; ++c) {
                const size_t at =
                    pickleStart + size_t(random.bounded(quint64(pickleEnd - pickleStart)));
                bytes[at] = char(random.bounded(256));
            }
        } else {
            for (int c = 0; c < 16; ++c)
                bytes[size_t(random.bounded(quint64(bytes.size())))] = char(random.bounded(256));
        }
        const Result<ForeignCheckpoint> r = loadUltralyticsCheckpointFromBytes(bytes, name);
        if (r) {
            ++accepted;
            continue;
        }
        ++refused;
        QVERIFY2(r.error().startsWith(name + QStringLiteral(": ")), qPrintable(r.error()));
        QVERIFY2(!r.error().contains(QLatin1Char('\n')), qPrintable(r.error()));
        QVERIFY2(r.error().size() < 400, qPrintable(r.error()));
        if (reasons.size() < 6 && !reasons.contains(r.error()))
            reasons << r.error();
    }
    qInfo("fuzz: %d accepted, %d refused; e.g. %s", accepted, refused,
          qPrintable(reasons.join(QStringLiteral(" | "))));
    QVERIFY(refused > 600); // most damage is noticed, not silently accepted
}

QTEST_GUILESS_MAIN(TestUltralyticsFuzz)
#include "tst_ultralyticsfuzz.moc"
