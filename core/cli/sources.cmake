yolodeck_core_folder(cli
    cli/commandline.h cli/commandline.cpp
)
target_link_libraries(yolodeck_core_cli PUBLIC yolodeck_core_train)
