# cmake -DSOURCE_DIR=... -DWORK_DIR=... -DGENERATOR=... -DCXX_COMPILER=... [-DEXTRA_ARGS=...] -P RunSubdirectoryTest.cmake
# add_subdirectory(lwnet) keeps working: configures tests/subdirectory (a project that adds lwnet's
# sources as a subdirectory), builds its program (and the part of lwnet it needs), runs it.
file(REMOVE_RECURSE ${WORK_DIR})
include(${CMAKE_CURRENT_LIST_DIR}/LwnetRunCommand.cmake)
lwnet_run(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/subdirectory -B ${WORK_DIR} -G ${GENERATOR}
    -DLWNET_SOURCE_DIR=${SOURCE_DIR} -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    -DLWNET_ENABLE_CUDA=OFF -DLWNET_CHECK_PARTS=OFF ${EXTRA_ARGS})
lwnet_run(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR} --target consumer ECHO)
lwnet_run(COMMAND ${WORK_DIR}/consumer ECHO)
