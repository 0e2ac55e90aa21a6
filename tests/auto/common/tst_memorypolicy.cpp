// The memory policy (core/common/memorypolicy): when it applies, what it leaves to the user, the
// doctor's line, and what it is for: a large block freed and allocated again comes back without
// the kernel faulting its pages in again, where glibc's defaults fault them all. That the programs
// start with it is tested through `yolodeck-cli doctor` in tst_environmentreport.
#include "core/common/memorypolicy.h"
#include "tests/auto/common/threadenvironment.h"

#include <QtTest>

#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <sys/resource.h>

using namespace yolodeck;

namespace {

long minorFaults()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt;
}

// Writes a block in a way the compiler must keep (it may drop a malloc, memset, free sequence).
void touch(char *block, size_t bytes, char value)
{
    std::memset(block, value, bytes);
    asm volatile("" : : "r"(block) : "memory");
}

// Page faults of writing a fresh 64 MiB block, after one such block was written and freed: what
// a training step pays for each of its maps.
long faultsOfAReusedBlock()
{
    constexpr size_t kBytes = size_t(64) << 20;
    char *first = static_cast<char *>(std::malloc(kBytes));
    touch(first, kBytes, 1);
    std::free(first);
    const long before = minorFaults();
    char *second = static_cast<char *>(std::malloc(kBytes));
    touch(second, kBytes, 2);
    const long faults = minorFaults() - before;
    std::free(second);
    return faults;
}

} // namespace

class TestMemoryPolicy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void appliesByDefault();
    void leavesTheUsersMallocSettings();
    void offMeansOff();
    void describesWhatHappened();
    void keepsFreedBlocksForReuse();
};

void TestMemoryPolicy::appliesByDefault()
{
    QVERIFY(memoryPolicyWanted(testing::fakeEnvironment({}), nullptr));
    QVERIFY(
        memoryPolicyWanted(testing::fakeEnvironment({{"YOLODECK_MEMORY_POLICY", "1"}}), nullptr));
    // Tunables for something else than malloc do not count.
    QVERIFY(memoryPolicyWanted(
        testing::fakeEnvironment({{"GLIBC_TUNABLES", "glibc.pthread.rseq=0"}}), nullptr));
}

void TestMemoryPolicy::leavesTheUsersMallocSettings()
{
    std::string why;
    QVERIFY(!memoryPolicyWanted(testing::fakeEnvironment({{"MALLOC_TRIM_THRESHOLD_", "0"}}), &why));
    QCOMPARE(why, std::string("left to the environment (MALLOC_TRIM_THRESHOLD_ is set)"));
    QVERIFY(!memoryPolicyWanted(testing::fakeEnvironment({{"MALLOC_MMAP_THRESHOLD_", "131072"}}),
                                &why));
    QVERIFY(!memoryPolicyWanted(
        testing::fakeEnvironment({{"GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=131072"}}),
        &why));
    QCOMPARE(why, std::string("left to the environment (GLIBC_TUNABLES sets malloc)"));
}

void TestMemoryPolicy::offMeansOff()
{
    std::string why;
    QVERIFY(!memoryPolicyWanted(testing::fakeEnvironment({{"YOLODECK_MEMORY_POLICY", "0"}}), &why));
    QCOMPARE(why, std::string("off (YOLODECK_MEMORY_POLICY=0)"));
}

void TestMemoryPolicy::describesWhatHappened()
{
    QCOMPARE(describeMemoryPolicy(testing::fakeEnvironment({{"YOLODECK_MEMORY_POLICY_SET", "1"}})),
             std::string("malloc keeps blocks up to 256 MiB in the heap and up to 1 GiB of freed "
                         "memory (YoloDeck's policy)"));
    QCOMPARE(describeMemoryPolicy(testing::fakeEnvironment({{"YOLODECK_MEMORY_POLICY", "0"}})),
             std::string("off (YOLODECK_MEMORY_POLICY=0)"));
    QCOMPARE(describeMemoryPolicy(testing::fakeEnvironment({})),
             std::string("glibc's defaults (this process did not apply the policy)"));
}

void TestMemoryPolicy::keepsFreedBlocksForReuse()
{
    qunsetenv("YOLODECK_MEMORY_POLICY");
    qunsetenv("MALLOC_MMAP_THRESHOLD_");
    qunsetenv("MALLOC_TRIM_THRESHOLD_");
    qunsetenv("GLIBC_TUNABLES");
#ifdef YOLODECK_TEST_ASAN_MALLOC
    // AddressSanitizer's allocator replaces glibc's and refuses its settings: the policy is not
    // applied, and says so.
    QVERIFY(!applyMemoryPolicy());
    QCOMPARE(qgetenv("YOLODECK_MEMORY_POLICY_SET"), QByteArray("refused"));
    QCOMPARE(describeMemoryPolicy([](const char *name) { return std::getenv(name); }),
             std::string("not applied: this process's malloc refused the settings (a "
                         "sanitizer's?)"));
    return;
#endif
    // glibc's defaults first (this process has not applied the policy): 64 MiB is above the
    // largest mmap threshold glibc picks by itself, so every block comes fresh from the kernel.
    const long withDefaults = faultsOfAReusedBlock();
    QVERIFY(applyMemoryPolicy());
    QCOMPARE(qgetenv("YOLODECK_MEMORY_POLICY_SET"), QByteArray("1"));
    faultsOfAReusedBlock(); // the first block under the policy grows the heap once
    const long withPolicy = faultsOfAReusedBlock();
    qInfo("page faults writing a reused 64 MiB block: %ld with glibc's defaults, %ld with the "
          "policy",
          withDefaults, withPolicy);
    // 16,384 faults with 4 KiB pages; 32 if the kernel gives the block huge pages.
    QVERIFY2(withDefaults >= 32, qPrintable(QString::number(withDefaults)));
    QVERIFY2(withPolicy * 20 < withDefaults, qPrintable(QString::number(withPolicy)));
}

QTEST_GUILESS_MAIN(TestMemoryPolicy)
#include "tst_memorypolicy.moc"
