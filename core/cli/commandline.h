#pragma once

#include "core/compare/comparisonreport.h"

#include <QStringList>
#include <QTextStream>

namespace yolodeck {

// yolodeck-cli: the engine headless, with Ultralytics' `mode key=value ...` syntax.
//   train  key=value ...            train, resume (resume=true|FILE), fine-tune (model=FILE)
//   val    model=W data=Y ...       validate a checkpoint; per-class table and metrics.json
//   val    data=Y predictions=DIR   score saved YOLO-format predictions (another tool's output)
//   predict model=W source=IMG|DIR  annotated images and YOLO txt predictions
//   info   model=n nc=80 imgsz=640  layers, parameters, GFLOPs (model may be a .pt)
//   synth  out=DIR                  write the generated demo dataset
//   checkpoints RUN_DIR             table of a run's checkpoints (YoloDeck's or Ultralytics')
//   inspect FILE [hash=true]        a checkpoint's meta.json, archive check, model tensor hash
//   inspect RUN_DIR                 an Ultralytics run folder: args, epochs, best, last row
//   compare a=FILE b=FILE [data=Y]  best vs last (or any pair): tables, compare.json, report.html
//   export model=FILE format=state_dict   weights as a name -> tensor dict for torch.load
//   resize data=Y imgsz=640 [out=DIR]    a copy of the dataset with images no larger than imgsz
//   doctor [run=DIR]                this machine's speed, or why a recorded run is slow
// Returns the process exit code. Output goes to `out`, problems to `err`.
class CommandLine
{
public:
    CommandLine(QTextStream &out, QTextStream &err);
    int run(const QStringList &arguments);

    // Ctrl+C: asks a running `train` to stop at the next batch and save last.pt there.
    static void requestStop();

    // Draws the charts of `compare`'s report. yolodeck-cli installs the window's chart code
    // (ui/compare) here; without one the report has no chart PNGs.
    void setChartRenderer(ComparisonChartRenderer renderer);

private:
    int train(const QStringList &args);
    int val(const QStringList &args);
    int predict(const QStringList &args);
    int info(const QStringList &args);
    int synth(const QStringList &args);
    int checkpoints(const QStringList &args);
    int inspect(const QStringList &args);
    int inspectUltralyticsRun(const QString &dir);
    void printCheckpointTable(const QString &dir);
    int compare(const QStringList &args);
    int exportModel(const QStringList &args);
    int doctor(const QStringList &args);
    int doctorRun(const QString &path);
    int rehearse(const QStringList &args);
    int resize(const QStringList &args);
    int usage(int code);

    QTextStream &m_out;
    QTextStream &m_err;
    ComparisonChartRenderer m_chartRenderer;
};

} // namespace yolodeck
