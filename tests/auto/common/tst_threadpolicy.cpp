// The thread policy's choice of variables (core/common/threadpolicy): what it sets, what it leaves
// to the user, and the doctor's line. That the programs really start with it is tested through
// `yolodeck-cli doctor` in tst_environmentreport.
#include "core/common/threadpolicy.h"
#include "tests/auto/common/threadenvironment.h"

#include <QtTest>

#include <map>
#include <string>

using namespace yolodeck;

namespace {

QStringList names(const std::vector<EnvironmentSetting> &settings)
{
    QStringList out;
    for (const EnvironmentSetting &s : settings)
        out << QString::fromStdString(s.name + "=" + s.value);
    return out;
}

} // namespace

class TestThreadPolicy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void setsWhatIsUnset();
    void leavesTheUsersValues();
    void anEmptyValueCountsAsUnset();
    void offMeansNothingIsSet();
    void describesWhoSetEachVariable();
};

void TestThreadPolicy::setsWhatIsUnset()
{
    QCOMPARE(names(missingThreadPolicy(testing::fakeEnvironment({}))),
             QStringList({QStringLiteral("OPENBLAS_NUM_THREADS=1")}));
    // Any value other than 0 leaves the policy on; OpenMP's wait policy is not the policy's
    // (PASSIVE measured slower).
    QCOMPARE(
        names(missingThreadPolicy(testing::fakeEnvironment({{"YOLODECK_THREAD_POLICY", "1"}}))),
        QStringList({QStringLiteral("OPENBLAS_NUM_THREADS=1")}));
}

void TestThreadPolicy::leavesTheUsersValues()
{
    QVERIFY(missingThreadPolicy(testing::fakeEnvironment({{"OPENBLAS_NUM_THREADS", "4"}})).empty());
}

void TestThreadPolicy::anEmptyValueCountsAsUnset()
{
    QCOMPARE(names(missingThreadPolicy(testing::fakeEnvironment({{"OPENBLAS_NUM_THREADS", ""}}))),
             QStringList({QStringLiteral("OPENBLAS_NUM_THREADS=1")}));
}

void TestThreadPolicy::offMeansNothingIsSet()
{
    QVERIFY(
        missingThreadPolicy(testing::fakeEnvironment({{"YOLODECK_THREAD_POLICY", "0"}})).empty());
}

void TestThreadPolicy::describesWhoSetEachVariable()
{
    QCOMPARE(QString::fromStdString(describeThreadPolicy(testing::fakeEnvironment(
                 {{"OPENBLAS_NUM_THREADS", "1"},
                  {"YOLODECK_THREAD_POLICY_SET", "OPENBLAS_NUM_THREADS"}}))),
             QStringLiteral("OPENBLAS_NUM_THREADS=1 (YoloDeck's policy)"));
    QCOMPARE(QString::fromStdString(
                 describeThreadPolicy(testing::fakeEnvironment({{"OPENBLAS_NUM_THREADS", "4"}}))),
             QStringLiteral("OPENBLAS_NUM_THREADS=4 (set in the environment)"));
    // A name is matched whole: OPENBLAS_NUM_THREADS_X in the marker is not OPENBLAS_NUM_THREADS.
    QCOMPARE(QString::fromStdString(describeThreadPolicy(testing::fakeEnvironment(
                 {{"OPENBLAS_NUM_THREADS", "2"},
                  {"YOLODECK_THREAD_POLICY_SET", "OPENBLAS_NUM_THREADS_X"}}))),
             QStringLiteral("OPENBLAS_NUM_THREADS=2 (set in the environment)"));
    QCOMPARE(QString::fromStdString(
                 describeThreadPolicy(testing::fakeEnvironment({{"YOLODECK_THREAD_POLICY", "0"}}))),
             QStringLiteral("OPENBLAS_NUM_THREADS unset; the policy is off "
                            "(YOLODECK_THREAD_POLICY=0)"));
}

QTEST_GUILESS_MAIN(TestThreadPolicy)
#include "tst_threadpolicy.moc"
