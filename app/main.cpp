// yolodeck: the window. Everything lives in the ui library; this file only reads the command line,
// installs the translation, names the program of a multi-process run's other ranks and shows the
// main window.

#include "core/common/memorypolicy.h"
#include "core/common/threadpolicy.h"
#include "core/dist/locallauncher.h"
#include "core/train/trainconfig.h"
#include "ui/mainwindow.h"
#include "ui/runsetup/runsetuppanel.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QLibraryInfo>
#include <QLocale>
#include <QSettings>
#include <QTranslator>

#include <cstdio>

#include "version.h"

int main(int argc, char *argv[])
{
    yolodeck::applyThreadPolicy(); // before any thread starts
    yolodeck::applyMemoryPolicy();
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("YoloDeck"));
    QApplication::setOrganizationName(QStringLiteral("YoloDeck"));
    QApplication::setApplicationVersion(QStringLiteral(YOLODECK_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("yolodeck"));
    // A run with several processes (nproc=N) trains rank 0 in the window and starts ranks
    // 1..N-1 as yolodeck-cli, which is installed beside the window.
    yolodeck::dist::setWorkerProgram(QCoreApplication::applicationDirPath() +
                                     QStringLiteral("/yolodeck-cli"));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QApplication::translate("main", "Train YOLO detectors without ever losing a run."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption demo(
        QStringLiteral("demo"),
        QApplication::translate("main", "Start a short run on the generated demo dataset."));
    const QCommandLineOption language(
        QStringLiteral("lang"),
        QApplication::translate("main", "User interface language (en, zh_CN)."),
        QApplication::translate("main", "language"));
    // Starts a chosen run without a click: scripts (the kill trials, the soak) drive the window
    // through it, offscreen.
    const QCommandLineOption train(
        QStringLiteral("train"),
        QApplication::translate("main", "Start training at once. The arguments are training keys "
                                        "(key=value, as for yolodeck-cli train) put into the run "
                                        "setup; the other keys keep their values."));
    parser.addOption(demo);
    parser.addOption(language);
    parser.addOption(train);
    parser.addPositionalArgument(
        QStringLiteral("path"),
        QApplication::translate("main", "A run folder to open, a checkpoint (.pt) to resume, or "
                                        "two to compare; with --train, key=value words."),
        QStringLiteral("[path [path]]"));
    parser.process(app);

    // --lang wins over the saved choice, which wins over the system locale.
    QString lang = parser.value(language);
    if (lang.isEmpty())
        lang = QSettings().value(QStringLiteral("ui/language")).toString();
    const QLocale locale = lang.isEmpty() ? QLocale::system() : QLocale(lang);
    QTranslator qtTranslator;
    if (qtTranslator.load(locale, QStringLiteral("qtbase"), QStringLiteral("_"),
                          QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QApplication::installTranslator(&qtTranslator);
    QTranslator translator;
    if (translator.load(locale, QStringLiteral("yolodeck"), QStringLiteral("_"),
                        QStringLiteral(":/i18n")))
        QApplication::installTranslator(&translator);

    const bool firstStart = !yolodeck::MainWindow::hasSavedGeometry();
    yolodeck::MainWindow window;
    if (firstStart)
        window.showMaximized();
    else
        window.show();
    const QStringList paths = parser.positionalArguments();
    if (parser.isSet(train)) {
        // The keys are checked as yolodeck-cli checks them, so a mistyped key or a bad value is an
        // error that names it, before anything is put into the setup.
        const auto fail = [](const QString &message) {
            std::fprintf(stderr, "yolodeck: %s\n", qPrintable(message));
            return 2;
        };
        if (const auto checked = yolodeck::TrainConfig::fromArguments(paths); !checked)
            return fail(checked.error());
        yolodeck::RunSetupPanel *setup = window.setupPanel();
        for (const QString &word : paths) {
            const QString key = word.section(QLatin1Char('='), 0, 0).trimmed();
            if (!setup->editorFor(key))
                return fail(
                    QApplication::translate("main", "'%1' cannot be set in the window").arg(key));
            setup->setText(key, word.section(QLatin1Char('='), 1));
        }
        // The setup's own checks (the dataset exists, the batch splits over the processes).
        if (const auto config = setup->config(); !config)
            return fail(config.error());
        window.start();
        return app.exec();
    }
    const auto isCheckpoint = [](const QString &p) {
        return p.endsWith(QLatin1String(".pt"), Qt::CaseInsensitive);
    };
    if (paths.size() == 2 && isCheckpoint(paths[0]) && isCheckpoint(paths[1])) {
        window.compareCheckpoints(paths[0], paths[1]); // A first, as in yolodeck-cli compare
    } else if (!paths.isEmpty()) {
        if (paths.first().endsWith(QLatin1String(".pt"), Qt::CaseInsensitive))
            window.openCheckpoint(paths.first());
        else
            window.openRun(paths.first());
    } else if (parser.isSet(demo)) {
        window.startDemo();
    }
    return app.exec();
}
