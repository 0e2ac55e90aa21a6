// The validator measures what Ultralytics' validator measures: rectangular batches (a square
// image padded by half a stride each side), every class scored on every box, and a loss computed
// on those rectangular inputs.
#include "core/data/dataset.h"
#include "core/data/datasetconfig.h"
#include "core/data/synthdataset.h"
#include "core/model/modelscale.h"
#include "core/train/validator.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace yolodeck;

class TestValidator : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        SynthOptions o;
        o.dir = m_dir.path();
        o.train = 1;
        o.val = 6;
        o.imgsz = 64;
        o.classes = 3;
        QVERIFY(writeSynthDataset(o).isOk());
        auto config = DatasetConfig::load(m_dir.filePath(QStringLiteral("data.yaml")));
        QVERIFY2(config.isOk(), qPrintable(config.error()));
        auto ds = Dataset::scan(config.value(), Split::Val);
        QVERIFY2(ds.isOk(), qPrintable(ds.error()));
        m_val = std::make_unique<Dataset>(std::move(ds).value());
        torch::manual_seed(0);
        m_model = YoloModel(*modelScale(QStringLiteral("tiny")), m_val->nc());
    }

    void rectBatchesByDefault()
    {
        ValidationOptions o;
        o.imgsz = 64;
        o.batch = 4;
        o.workers = 0;
        const DetectionLoss criterion(m_val->nc(), m_model->strides());
        const ValidationOutput rect =
            Validator(*m_val, o).run(*m_model, torch::Device(torch::kCPU), &criterion);
        // Square 64 px images: 64 / 32 + 0.5 rounds up to 3 strides, 96 x 96.
        using Sizes = std::vector<std::array<int64_t, 2>>;
        QCOMPARE(rect.inputSizes, (Sizes{{96, 96}, {96, 96}}));
        QCOMPARE(rect.images, 6);
        for (double l : rect.loss)
            QVERIFY(std::isfinite(l));

        o.rect = false;
        const ValidationOutput square =
            Validator(*m_val, o).run(*m_model, torch::Device(torch::kCPU), &criterion);
        QCOMPARE(square.inputSizes, (Sizes{{64, 64}, {64, 64}}));
    }

    void everyClassScoredByDefault()
    {
        // A fresh model scores every class near its initial bias, which at stride 32 is above
        // conf 0.001 for 3 classes: scoring each class separately keeps more boxes than the best
        // class of each anchor alone.
        ValidationOptions o;
        o.imgsz = 64;
        o.batch = 6;
        o.workers = 0;
        const ValidationOutput multi =
            Validator(*m_val, o).run(*m_model, torch::Device(torch::kCPU), nullptr);
        o.labels = NmsLabels::Best;
        const ValidationOutput best =
            Validator(*m_val, o).run(*m_model, torch::Device(torch::kCPU), nullptr);
        QVERIFY2(best.detections > 0, qPrintable(QString::number(best.detections)));
        QVERIFY2(multi.detections > best.detections,
                 qPrintable(QStringLiteral("%1 vs %2").arg(multi.detections).arg(best.detections)));
    }

private:
    QTemporaryDir m_dir;
    std::unique_ptr<Dataset> m_val;
    YoloModel m_model{nullptr};
};

QTEST_GUILESS_MAIN(TestValidator)
#include "tst_validator.moc"
