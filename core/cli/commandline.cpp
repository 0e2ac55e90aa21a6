#include "core/cli/commandline.h"

#include "core/train/trainconfig.h"
#include "version.h"

#include <c10/util/Exception.h>

namespace yolodeck {

CommandLine::CommandLine(QTextStream &out, QTextStream &err)
    : m_out(out)
    , m_err(err)
{}

int CommandLine::usage(int code)
{
    QTextStream &s = code == 0 ? m_out : m_err;
    s << QStringLiteral(
             "usage: yolodeck-cli MODE key=value ...\n"
             "  train  data=Y model=n|s|m|l|x|tiny|FILE.pt epochs=100 imgsz=640 batch=16 ...\n"
             "         resume=true|FILE [epochs=N] [force=true]   continue a run exactly\n"
             "  val    model=W data=Y [imgsz= batch= conf= iou= device= threads=]\n"
             "  val    data=Y predictions=DIR [split=val|test|train]   score saved YOLO txt "
             "predictions\n"
             "  predict model=W source=IMAGE|DIR [conf=0.25 iou=0.7 imgsz= threads=]\n"
             "  info   model=n|...|FILE.pt [nc=80] [imgsz=640]\n"
             "  synth  out=DIR [train=128 val=32 imgsz=96 classes=3 seed=0]\n"
             "  checkpoints RUN_DIR   (YoloDeck's or Ultralytics' runs/detect/trainN)\n"
             "  inspect FILE [hash=true]\n"
             "  inspect RUN_DIR       an Ultralytics run: args, epochs, best, last metrics, "
             "weights\n"
             "  compare a=FILE b=FILE [data=Y split=val imgsz= conf=0.25 seed=0 cache=true "
             "project= name=]\n"
             "  export model=FILE.pt format=state_dict [out=PATH]   weights for Python "
             "(torch.load)\n"
             "  doctor [project=runs/detect data=Y threads=0]   versions, BLAS, GEMM, disk, "
             "decode speed; exit 1 on findings\n"
             "  doctor run=DIR        why a run (live or finished, here or on another machine) "
             "is slow, from its events.jsonl; exit 1 on findings\n"
             "  rehearse FILE [batches=10 key=value ...]   try a resume in a scratch folder: "
             "speed, and whether it reproduces the run bit for bit\n"
             "  resize data=Y imgsz=640 [out=DIR quality=95 threads=0]   a copy of the dataset "
             "with images scaled down to long side imgsz (faster to decode)\n"
             "  version\n"
             "Training keys (Ultralytics names and defaults): %1\n")
             .arg(TrainConfig::keys().join(QLatin1Char(' ')));
    s.flush();
    return code;
}

int CommandLine::run(const QStringList &arguments)
{
    if (arguments.isEmpty())
        return usage(2);
    const QString mode = arguments.first();
    const QStringList args = arguments.mid(1);
    if (mode == QLatin1String("help") || mode == QLatin1String("--help") ||
        mode == QLatin1String("-h"))
        return usage(0);
    if (mode == QLatin1String("version") || mode == QLatin1String("--version")) {
        m_out << QStringLiteral("yolodeck-cli %1 (LibTorch %2)\n")
                     .arg(QStringLiteral(YOLODECK_VERSION), QStringLiteral(TORCH_VERSION));
        return 0;
    }
    try {
        if (mode == QLatin1String("train"))
            return train(args);
        if (mode == QLatin1String("val"))
            return val(args);
        if (mode == QLatin1String("predict"))
            return predict(args);
        if (mode == QLatin1String("info"))
            return info(args);
        if (mode == QLatin1String("synth"))
            return synth(args);
        if (mode == QLatin1String("checkpoints"))
            return checkpoints(args);
        if (mode == QLatin1String("inspect"))
            return inspect(args);
        if (mode == QLatin1String("compare"))
            return compare(args);
        if (mode == QLatin1String("export"))
            return exportModel(args);
        if (mode == QLatin1String("doctor"))
            return doctor(args);
        if (mode == QLatin1String("rehearse"))
            return rehearse(args);
        if (mode == QLatin1String("resize"))
            return resize(args);
    } catch (const c10::Error &e) {
        m_err << QStringLiteral("ERROR LibTorch: %1\n")
                     .arg(QString::fromStdString(e.what_without_backtrace()));
        return 1;
    } catch (const std::exception &e) {
        m_err << QStringLiteral("ERROR %1\n").arg(QString::fromStdString(e.what()));
        return 1;
    }
    m_err << QStringLiteral("unknown mode '%1'; valid modes: train val predict info synth "
                            "checkpoints inspect compare export doctor rehearse resize version\n")
                 .arg(mode);
    return 2;
}

} // namespace yolodeck
