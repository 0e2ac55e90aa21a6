#include "core/cli/commandline.h"
#include "core/cli/modearguments.h"
#include "core/data/synthdataset.h"

#include <QDir>

namespace yolodeck {

int CommandLine::synth(const QStringList &args)
{
    const Result<KeyValues> parsed = parseKeys(
        args, {QStringLiteral("out"), QStringLiteral("train"), QStringLiteral("val"),
               QStringLiteral("imgsz"), QStringLiteral("classes"), QStringLiteral("seed")});
    if (!parsed) {
        m_err << QStringLiteral("ERROR %1\n").arg(parsed.error());
        return 2;
    }
    const KeyValues &k = parsed.value();
    if (!k.contains(QStringLiteral("out"))) {
        m_err << QStringLiteral("ERROR synth needs out=DIR\n");
        return 2;
    }
    SynthOptions o;
    o.dir = k.value(QStringLiteral("out"));
    const Result<int> train = intKey(k, QStringLiteral("train"), o.train, 1, 1000000);
    const Result<int> val = intKey(k, QStringLiteral("val"), o.val, 1, 1000000);
    const Result<int> imgsz = intKey(k, QStringLiteral("imgsz"), o.imgsz, 32, 4096);
    const Result<int> classes = intKey(k, QStringLiteral("classes"), o.classes, 1, 40);
    const Result<int> seed = intKey(k, QStringLiteral("seed"), 0, 0, 2147483647);
    for (const QString &e :
         {train.error(), val.error(), imgsz.error(), classes.error(), seed.error()}) {
        if (!e.isEmpty()) {
            m_err << QStringLiteral("ERROR %1\n").arg(e);
            return 2;
        }
    }
    o.train = train.value();
    o.val = val.value();
    o.imgsz = imgsz.value();
    o.classes = classes.value();
    o.seed = uint64_t(seed.value());
    const Status written = writeSynthDataset(o);
    if (!written) {
        m_err << QStringLiteral("ERROR %1\n").arg(written.error());
        return 1;
    }
    m_out << QStringLiteral("Wrote %1 train + %2 val images of %3 classes to %4/data.yaml\n")
                 .arg(o.train)
                 .arg(o.val)
                 .arg(o.classes)
                 .arg(QDir(o.dir).absolutePath());
    return 0;
}

} // namespace yolodeck
