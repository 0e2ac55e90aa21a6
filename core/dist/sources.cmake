# core/dist: data-parallel training on c10d (DESIGN.md §9): the job's rendezvous (nproc=,
# torchrun's two store modes, Slurm, the plain environment), the Gloo process group behind
# Communicator, and the launcher of local ranks. Gloo's headers come from libgloo-dev.
yolodeck_core_folder(dist
    dist/communicator.h dist/communicator.cpp
    dist/distsettings.h dist/distsettings.cpp
    dist/locallauncher.h dist/locallauncher.cpp
    dist/processgroup.h dist/gloocommunicator.cpp
)
# ProcessGroupGloo.hpp compiles only with USE_C10D_GLOO, which TorchConfig.cmake does not set.
set_source_files_properties(dist/gloocommunicator.cpp PROPERTIES COMPILE_DEFINITIONS USE_C10D_GLOO)
target_link_libraries(yolodeck_core_dist PUBLIC yolodeck_core_common)
