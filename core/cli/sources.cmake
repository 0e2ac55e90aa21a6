# yolodeck-cli's engine: one file per mode (train, val, predict, info, synth, checkpoints, inspect,
# compare, export, doctor, rehearse, resize), the dispatcher, and what the modes share.
yolodeck_core_folder(cli
    cli/commandline.h cli/commandline.cpp
    cli/modearguments.h cli/modearguments.cpp
    cli/terminalreporter.h cli/terminalreporter.cpp
    cli/trainmode.cpp
    cli/valmode.cpp
    cli/predictmode.cpp
    cli/infomode.cpp
    cli/synthmode.cpp
    cli/checkpointsmode.cpp
    cli/inspectmode.cpp
    cli/comparemode.cpp
    cli/exportmode.cpp
    cli/doctormode.cpp
    cli/rehearsemode.cpp
    cli/resizemode.cpp
)
target_link_libraries(yolodeck_core_cli PUBLIC yolodeck_core_train yolodeck_core_compare yolodeck_core_doctor
                                         yolodeck_core_interop)
