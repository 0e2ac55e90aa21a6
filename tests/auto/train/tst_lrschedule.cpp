#include "core/train/lrschedule.h"

#include <QtTest>

#include <cmath>

using namespace yolodeck;

class TestLrSchedule : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void linearMatchesUltralytics();
    void cosineMatchesUltralytics();
    void extensionContinuesSmoothly_data();
    void extensionContinuesSmoothly();
    void extensionSurvivesJson();
};

void TestLrSchedule::linearMatchesUltralytics()
{
    const LrSchedule s(100, 0.01, false);
    // (1 - x/E)(1 - lrf) + lrf
    QCOMPARE(s.factor(0), 1.0);
    QVERIFY(std::abs(s.factor(50) - (0.5 * 0.99 + 0.01)) < 1e-12);
    QVERIFY(std::abs(s.factor(100) - 0.01) < 1e-12);
    QVERIFY(std::abs(s.factor(150) - 0.01) < 1e-12); // clamped, never negative
}

void TestLrSchedule::cosineMatchesUltralytics()
{
    const LrSchedule s(10, 0.1, true);
    QVERIFY(std::abs(s.factor(0) - 1.0) < 1e-12);
    QVERIFY(std::abs(s.factor(5) - 0.55) < 1e-12); // ((1 - cos(pi/2)) / 2)(0.1 - 1) + 1
    QVERIFY(std::abs(s.factor(10) - 0.1) < 1e-12);
}

void TestLrSchedule::extensionContinuesSmoothly_data()
{
    QTest::addColumn<bool>("cosine");
    QTest::newRow("linear") << false;
    QTest::newRow("cosine") << true;
}

void TestLrSchedule::extensionContinuesSmoothly()
{
    QFETCH(bool, cosine);
    const LrSchedule original(10, 0.01, cosine);
    LrSchedule s(10, 0.01, cosine);
    s.extend(6, 20); // epochs 0..5 were trained; the run now goes to 20
    QCOMPARE(s.epochs(), 20);
    // Epochs already trained keep their factors.
    for (int e = 0; e <= 5; ++e)
        QCOMPARE(s.factor(e), original.factor(e));
    // No jump at the resume point: the first new epoch steps down less than the original did.
    const double originalStep = original.factor(5) - original.factor(6);
    const double step = s.factor(5) - s.factor(6);
    QVERIFY(step > 0);
    QVERIFY(step < originalStep);
    double previous = s.factor(6);
    for (int e = 7; e <= 20; ++e) {
        QVERIFY(s.factor(e) <= previous + 1e-12);
        previous = s.factor(e);
    }
    QVERIFY(std::abs(s.factor(20) - 0.01) < 1e-12);
    // The unextended schedule would already be at its end by epoch 10: the extension is not.
    QVERIFY(s.factor(10) > 0.01 + 1e-3);
    // Extending a finished run continues from the factor of its last epoch, not from lrf.
    LrSchedule finished(10, 0.01, cosine);
    finished.extend(10, 15);
    QCOMPARE(finished.factor(9), original.factor(9));
    QVERIFY(finished.factor(10) < original.factor(9));
    QVERIFY(finished.factor(10) > 0.01);
}

void TestLrSchedule::extensionSurvivesJson()
{
    LrSchedule s(10, 0.01, false);
    s.extend(10, 30);
    s.extend(30, 40);
    LrSchedule back(10, 0.01, false);
    back.extensionsFromJson(s.extensionsToJson());
    for (int e = 0; e <= 40; ++e)
        QCOMPARE(back.factor(e), s.factor(e));
    QCOMPARE(back.epochs(), 40);
}

QTEST_GUILESS_MAIN(TestLrSchedule)
#include "tst_lrschedule.moc"
