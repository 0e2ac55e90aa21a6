// yolodeck: the window. Everything lives in the ui library; this file only reads the command line,
// installs the translation, names the program of a multi-process run's other ranks and shows the
// main window.

#include "core/dist/locallauncher.h"
#include "ui/mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QLibraryInfo>
#include <QLocale>
#include <QSettings>
#include <QTranslator>

#include "version.h"

int main(int argc, char *argv[])
{
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
    parser.addOption(demo);
    parser.addOption(language);
    parser.addPositionalArgument(
        QStringLiteral("path"),
        QApplication::translate(
            "main", "A run folder to open, a checkpoint (.pt) to resume, or two to compare."),
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
