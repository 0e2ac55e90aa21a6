#pragma once

#include "core/compare/comparison.h"

#include <QAbstractTableModel>

#include <memory>
#include <vector>

namespace yolodeck {

// The validation images of a comparison at one confidence (both models at the same threshold),
// ranked by a DisagreementOrder: image, labels, TP/FP/FN of A and of B, the labels only A finds
// and only B finds. Filters narrow the list: a class (images with a label, or a detection at the
// confidence, of that class) and an explicit image set (a confusion-matrix cell).
//
// A confidence change costs compareImages + rankImages, both linear in the images: the slider
// stays responsive on a large split.
class ImageComparisonModel final : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column
    {
        Image,
        Labels,
        TruePositivesA,
        FalsePositivesA,
        FalseNegativesA,
        TruePositivesB,
        FalsePositivesB,
        FalseNegativesB,
        OnlyA,
        OnlyB,
        ColumnCount
    };
    enum Role
    {
        ImageIndexRole = Qt::UserRole + 1, // index into the prediction sets' images
        ValueRole                          // the number of a count cell
    };
    static constexpr int kNoClass = -1;

    using QAbstractTableModel::QAbstractTableModel;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    void setComparison(std::shared_ptr<const Comparison> comparison, float confidence);
    void setConfidence(float confidence);
    float confidence() const { return m_confidence; }
    void setOrder(DisagreementOrder order);
    DisagreementOrder order() const { return m_order; }
    void setClassFilter(int cls); // kNoClass: every class
    int classFilter() const { return m_class; }
    // Only these images (a confusion cell's); `description` says which ("A: true cat, predicted
    // dog"). clearImageFilter() lifts it.
    void setImageFilter(std::vector<int> images, const QString &description);
    void clearImageFilter();
    bool hasImageFilter() const { return m_hasImageFilter; }
    QString imageFilterDescription() const { return m_filterDescription; }

    // Row ↔ image index; -1 when absent (filtered out).
    int imageAt(int row) const;
    int rowOfImage(int image) const;
    const ImageComparison &comparisonOf(int image) const { return m_all.at(size_t(image)); }
    // Every image at the current confidence, unfiltered (the summary sentence's counts).
    const std::vector<ImageComparison> &allImages() const { return m_all; }
    ComparisonSummary summary() const { return summarise(m_all); }

Q_SIGNALS:
    void rowsRanked(); // after every change of confidence, order or filter

private:
    void recompute();
    void rerank();
    bool hasClass(int image, int cls) const;

    std::shared_ptr<const Comparison> m_comparison;
    float m_confidence = kConfusionConf;
    DisagreementOrder m_order = DisagreementOrder::Disagreement;
    int m_class = kNoClass;
    bool m_hasImageFilter = false;
    std::vector<char> m_inImageFilter; // per image
    QString m_filterDescription;
    std::vector<ImageComparison> m_all; // per image, in image order
    std::vector<int> m_rows;            // image indices, ranked and filtered
};

} // namespace yolodeck
