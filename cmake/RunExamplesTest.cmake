# cmake -DPREFIX=... -DWORK_DIR=... -DSOURCE_DIR=... -DGENERATOR=... -DCXX_COMPILER=... [-DC_COMPILER=...]
#       [-DWITH_CLI=ON] [-DPYTHON=... -DPYTHONPATH=...] -P RunExamplesTest.cmake
# The examples against the installed package in PREFIX (installed by RunPackageTest.cmake, the
# fixture of this test): configures, builds and runs examples/c and examples/cpp as projects of
# their own, runs examples/python with PYTHON (the build's Python package on PYTHONPATH), and
# trains and predicts with the installed `lwnet` tool on the same data, split and seeds. Every
# interface must give the same normalised HSIC and median width (as doubles, exactly) and the same
# predictions and accuracy; the C++ example, the Python example and the tool must save the same
# models, bit for bit but for the fit's timings (on this easy split, other seeds or step sizes
# give the same predictions: the models tell them apart); each example's models, saved and loaded
# back, predict the same (the examples check it), and the tool predicts the same from the files
# the C++ and Python examples saved.
cmake_minimum_required(VERSION 3.25)  # the policies of lwnet's CMake (IN_LIST, ...)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(features ${SOURCE_DIR}/data/wine/wine.csv)
set(labels ${SOURCE_DIR}/data/wine/wine_label.csv)

include(${CMAKE_CURRENT_LIST_DIR}/LwnetRunCommand.cmake)

# The figures an example prints on its `result` lines, as <name>_hsic, <name>_sigma,
# <name>_kme_accuracy, <name>_kme_predictions, ... in the caller's scope.
function(parse_results name output)
  message("---- ${name}\n${output}")
  if(NOT output MATCHES "result hsic=([^ \n]+) sigma=([^ \n]+)")
    message(FATAL_ERROR "${name}: no 'result hsic=... sigma=...' line")
  endif()
  set(${name}_hsic ${CMAKE_MATCH_1} PARENT_SCOPE)
  set(${name}_sigma ${CMAKE_MATCH_2} PARENT_SCOPE)
  foreach(method kme backprop)
    if(NOT output MATCHES "result ${method} accuracy=([^ \n]+) predictions=([^ \n]+)")
      message(FATAL_ERROR "${name}: no 'result ${method} accuracy=... predictions=...' line")
    endif()
    set(${name}_${method}_accuracy ${CMAKE_MATCH_1} PARENT_SCOPE)
    set(${name}_${method}_predictions ${CMAKE_MATCH_2} PARENT_SCOPE)
  endforeach()
endfunction()

# What a model file holds, less the fit's timings: its metadata without fit_seconds, and a digest of
# each tensor but layers.seconds (a safetensors file: an 8-byte little-endian header length, the
# JSON header, then the tensors' bytes at the header's data_offsets).
function(model_fingerprint path out)
  file(READ ${path} length_hex LIMIT 4 HEX)  # the low half of the length: headers are small
  string(REGEX REPLACE "^(..)(..)(..)(..)$" "\\4\\3\\2\\1" length_hex "${length_hex}")
  math(EXPR length "0x${length_hex}")
  math(EXPR data_start "8 + ${length}")
  file(READ ${path} header OFFSET 8 LIMIT ${length})
  file(READ ${path} data OFFSET ${data_start} HEX)
  string(JSON metadata GET "${header}" __metadata__)
  string(JSON fingerprint REMOVE "${metadata}" fit_seconds)
  string(JSON members LENGTH "${header}")
  math(EXPR last "${members} - 1")
  foreach(i RANGE ${last})
    string(JSON name MEMBER "${header}" ${i})
    if(name STREQUAL "__metadata__" OR name STREQUAL "layers.seconds")
      continue()
    endif()
    string(JSON begin GET "${header}" ${name} data_offsets 0)
    string(JSON end GET "${header}" ${name} data_offsets 1)
    math(EXPR hex_begin "2 * ${begin}")
    math(EXPR hex_length "2 * (${end} - ${begin})")
    string(SUBSTRING "${data}" ${hex_begin} ${hex_length} bytes)
    string(SHA256 digest "${bytes}")
    string(APPEND fingerprint "\n${name} ${digest}")
  endforeach()
  set(${out} "${fingerprint}" PARENT_SCOPE)
endfunction()

# The C and C++ examples: projects of their own that find_package(lwnet) in PREFIX.
set(compilers -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
if(C_COMPILER)
  list(APPEND compilers -DCMAKE_C_COMPILER=${C_COMPILER})
endif()
set(names)
foreach(language c cpp)
  lwnet_run(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/${language} -B ${WORK_DIR}/build-${language} -G ${GENERATOR}
              -DCMAKE_PREFIX_PATH=${PREFIX} -DCMAKE_BUILD_TYPE=Release ${compilers})
  lwnet_run(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build-${language})
  # Each runs in a folder of its own: the examples write their model files in the current folder.
  file(MAKE_DIRECTORY ${WORK_DIR}/run-${language})
  lwnet_run(COMMAND ${WORK_DIR}/build-${language}/fit_and_predict ${features} ${labels}
      WORKING_DIRECTORY ${WORK_DIR}/run-${language} OUTPUT output)
  parse_results(${language} "${output}")
  list(APPEND names ${language})
endforeach()

if(PYTHON)
  file(MAKE_DIRECTORY ${WORK_DIR}/run-python)
  lwnet_run(COMMAND ${CMAKE_COMMAND} -E env PYTHONPATH=${PYTHONPATH} PYTHONDONTWRITEBYTECODE=1
              ${PYTHON} ${SOURCE_DIR}/examples/python/fit_and_predict.py ${features} ${labels}
      WORKING_DIRECTORY ${WORK_DIR}/run-python OUTPUT output)
  parse_results(python "${output}")
  list(APPEND names python)
endif()

if(WITH_CLI)
  set(lwnet ${PREFIX}/bin/lwnet)
  set(cli ${WORK_DIR}/run-cli)
  # The examples' split as files: every fourth sample (0-based index i % 4 == 3) is held out.
  file(STRINGS ${features} feature_lines)
  file(STRINGS ${labels} label_lines)
  set(index 0)
  foreach(part train test train_label test_label)
    set(${part} "")
  endforeach()
  foreach(row ${feature_lines})
    list(GET label_lines ${index} label)
    math(EXPR slot "${index} % 4")
    if(slot EQUAL 3)
      string(APPEND test "${row}\n")
      string(APPEND test_label "${label}\n")
    else()
      string(APPEND train "${row}\n")
      string(APPEND train_label "${label}\n")
    endif()
    math(EXPR index "${index} + 1")
  endforeach()
  foreach(part train test train_label test_label)
    file(WRITE ${cli}/${part}.csv "${${part}}")
  endforeach()

  lwnet_run(COMMAND ${lwnet} hsic --x ${features} --labels ${labels} --standardize off --json OUTPUT json)
  string(JSON cli_hsic GET "${json}" hsic_normalized_code)
  string(JSON cli_sigma GET "${json}" sigma)
  set(output "result hsic=${cli_hsic} sigma=${cli_sigma}\n")
  foreach(method kme backprop)
    if(method STREQUAL "kme")
      set(options --method kme --seed 1)
    else()
      set(options --method backprop --arch dense:64x1 --epochs 30 --batch-size 16 --seed 1)
    endif()
    lwnet_run(COMMAND ${lwnet} train --data ${cli}/train.csv --labels ${cli}/train_label.csv ${options}
                --out ${cli}/${method}.safetensors)
    lwnet_run(COMMAND ${lwnet} predict --model ${cli}/${method}.safetensors --data ${cli}/test.csv
                --out ${cli}/${method}_predictions.txt)
    file(STRINGS ${cli}/${method}_predictions.txt predicted)
    list(JOIN predicted "," predicted)
    # The tool reads the model files the C++ and Python examples saved, and predicts the same.
    foreach(name cpp python)
      if(name IN_LIST names)
        lwnet_run(COMMAND ${lwnet} predict --model ${WORK_DIR}/run-${name}/fit_and_predict_${method}.safetensors
                    --data ${cli}/test.csv --out ${cli}/${name}_${method}_predictions.txt)
        file(STRINGS ${cli}/${name}_${method}_predictions.txt from_file)
        list(JOIN from_file "," from_file)
        if(NOT from_file STREQUAL ${name}_${method}_predictions)
          message(FATAL_ERROR "lwnet predict on ${name}'s ${method} model file: ${from_file}\n"
                              "${name} predicted: ${${name}_${method}_predictions}")
        endif()
      endif()
    endforeach()
    lwnet_run(COMMAND ${lwnet} eval --model ${cli}/${method}.safetensors --data ${cli}/test.csv
                --labels ${cli}/test_label.csv --json OUTPUT json)
    string(JSON accuracy GET "${json}" accuracy)
    string(APPEND output "result ${method} accuracy=${accuracy} predictions=${predicted}\n")
  endforeach()
  parse_results(cli "${output}")
  list(APPEND names cli)
endif()

# The models the C++ example, the Python example and the tool saved are the same models, bit for
# bit, but for the fit's timings.
set(savers)
foreach(name cpp python cli)
  if(name IN_LIST names)
    list(APPEND savers ${name})
  endif()
endforeach()
foreach(method kme backprop)
  set(files cpp ${WORK_DIR}/run-cpp/fit_and_predict_${method}.safetensors
            python ${WORK_DIR}/run-python/fit_and_predict_${method}.safetensors
            cli ${WORK_DIR}/run-cli/${method}.safetensors)
  set(reference "")
  foreach(name ${savers})
    list(FIND files ${name} at)
    math(EXPR at "${at} + 1")
    list(GET files ${at} file)
    model_fingerprint(${file} fingerprint)
    if(NOT reference)
      set(reference "${fingerprint}")
      set(reference_name ${name})
    elseif(NOT fingerprint STREQUAL reference)
      message(FATAL_ERROR "the ${method} models of ${reference_name} and ${name} differ:\n"
                          "${reference_name}:\n${reference}\n${name}:\n${fingerprint}")
    endif()
  endforeach()
endforeach()

# Everyone against the C example; then the figures must also be the right ones for the data.
set(mismatches "")
foreach(name ${names})
  foreach(figure hsic sigma kme_accuracy backprop_accuracy)
    if(NOT ${name}_${figure} EQUAL c_${figure})  # as numbers: the tool's JSON spells doubles shortest
      string(APPEND mismatches "  ${figure}: ${name} ${${name}_${figure}}, c ${c_${figure}}\n")
    endif()
  endforeach()
  foreach(method kme backprop)
    if(NOT ${name}_${method}_predictions STREQUAL c_${method}_predictions)
      string(APPEND mismatches "  ${method} predictions:\n    ${name} ${${name}_${method}_predictions}\n"
                               "    c ${c_${method}_predictions}\n")
    endif()
  endforeach()
endforeach()
if(mismatches)
  message(FATAL_ERROR "the interfaces disagree on the same data and seeds:\n${mismatches}")
endif()
# Both networks classify the held-out wines well (the data's signal; a broken fit gives less).
foreach(method kme backprop)
  if(c_${method}_accuracy LESS 0.9)
    message(FATAL_ERROR "${method}: held-out accuracy ${c_${method}_accuracy} is below 0.9")
  endif()
endforeach()
message("examples agree (${names}): normalised HSIC ${c_hsic}, median width ${c_sigma}, "
        "accuracy kme ${c_kme_accuracy}, backprop ${c_backprop_accuracy}")
