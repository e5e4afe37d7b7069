# What `cmake --install` puts where (GNUInstallDirs), and the Debian packages (`cpack -G DEB`).
# Included last by the top-level CMakeLists.txt, once every program target exists.
#
#   bin/                        parley, parley-agent, parley-collector (parley_program)
#   share/man/man1, man8        parley(1), parley-agent(8), parley-collector(8), made at build time
#                               by help2man from each program's --help (the options table) and a
#                               hand-written include, docs/man/*.h2m
#   <unitdir>                   parley-agent.service, parley-collector.service, configured here
#                               with the install prefix
#   <sysusersdir>/parley.conf   the parley user (deploy/systemd/parley.sysusers)
#   share/parley/sql            the schema, for reading (the collector has it compiled in)
#   <sysconfdir>/parley         agent.conf.example, collector.conf.example (deploy/config)
#   share/doc/parley            README.md and docs/*.md
#
# <unitdir> and <sysusersdir> are systemd's own (pkg-config systemd) when the prefix is /usr, as
# for the packages, and lib/systemd/system and lib/sysusers.d under any other prefix (systemd
# looks in /usr/local/lib/... too). Both can be set: PARLEY_SYSTEMD_UNITDIR, PARLEY_SYSUSERSDIR.

pkg_get_variable(PARLEY_PC_UNITDIR systemd systemdsystemunitdir)
pkg_get_variable(PARLEY_PC_SYSUSERSDIR systemd sysusersdir)
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" AND PARLEY_PC_UNITDIR AND PARLEY_PC_SYSUSERSDIR)
  set(parley_unitdir_default ${PARLEY_PC_UNITDIR})
  set(parley_sysusersdir_default ${PARLEY_PC_SYSUSERSDIR})
else()
  set(parley_unitdir_default ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
  set(parley_sysusersdir_default ${CMAKE_INSTALL_PREFIX}/lib/sysusers.d)
endif()
set(PARLEY_SYSTEMD_UNITDIR ${parley_unitdir_default} CACHE PATH "where the systemd units are installed")
set(PARLEY_SYSUSERSDIR ${parley_sysusersdir_default} CACHE PATH "where the sysusers.d file is installed")

# The CLI goes with the collector: it reads the same database, and whoever runs a collector
# is who runs the reports.
install(TARGETS parley-agent RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT agent)
install(TARGETS parley-collector parley RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        COMPONENT collector)

# The units name the installed binaries and configuration, never a fixed /usr/local.
set(PARLEY_BINDIR ${CMAKE_INSTALL_FULL_BINDIR})
set(PARLEY_SYSCONFDIR ${CMAKE_INSTALL_FULL_SYSCONFDIR})
set(parley_units)
foreach(unit IN ITEMS parley-agent parley-collector)
  configure_file(${PROJECT_SOURCE_DIR}/deploy/systemd/${unit}.service.in
                 ${PROJECT_BINARY_DIR}/deploy/systemd/${unit}.service @ONLY)
  list(APPEND parley_units ${PROJECT_BINARY_DIR}/deploy/systemd/${unit}.service)
endforeach()
install(FILES ${PROJECT_BINARY_DIR}/deploy/systemd/parley-agent.service
        DESTINATION ${PARLEY_SYSTEMD_UNITDIR} COMPONENT agent)
install(FILES ${PROJECT_BINARY_DIR}/deploy/systemd/parley-collector.service
        DESTINATION ${PARLEY_SYSTEMD_UNITDIR} COMPONENT collector)
# Both packages ship the user (dpkg allows the same file in two packages only if they
# conflict, so each has its own name; sysusers merges the identical lines).
install(FILES deploy/systemd/parley.sysusers DESTINATION ${PARLEY_SYSUSERSDIR}
        RENAME parley-agent.conf COMPONENT agent)
install(FILES deploy/systemd/parley.sysusers DESTINATION ${PARLEY_SYSUSERSDIR}
        RENAME parley-collector.conf COMPONENT collector)

# The full sysconfdir: /etc when the prefix is /usr (GNUInstallDirs), as the units say.
install(FILES deploy/config/agent.conf.example DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/parley
        COMPONENT agent)
install(FILES deploy/config/collector.conf.example
        DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/parley COMPONENT collector)
install(DIRECTORY deploy/sql/ DESTINATION ${CMAKE_INSTALL_DATADIR}/parley/sql COMPONENT collector
        FILES_MATCHING PATTERN "*.sql")
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT doc)
file(GLOB parley_docs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${parley_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT doc)

# Man pages: help2man runs each built program's --help and --version, so the OPTIONS section
# is the options table itself and cannot drift from it; docs/man/NAME.h2m adds what --help
# does not say (DESCRIPTION, FILES, SIGNALS, EXAMPLES, SEE ALSO).
option(PARLEY_MAN "Build and install the man pages (needs help2man)" ON)
if(PARLEY_MAN)
  find_program(HELP2MAN help2man REQUIRED)
  set(parley_man_pages)
  foreach(entry IN ITEMS "parley:1:query:collector:the analysts' view of Parley's counts"
                         "parley-agent:8:agent:agent:deliver housing associations' conversation events to parley-collector"
                         "parley-collector:8:collector:collector:store Parley conversation events from agents in PostgreSQL")
    string(REPLACE ":" ";" entry "${entry}")
    list(GET entry 0 prog)
    list(GET entry 1 section)
    list(GET entry 2 folder)
    list(GET entry 3 component)
    list(GET entry 4 summary)
    set(page ${PROJECT_BINARY_DIR}/man/${prog}.${section})
    set(include ${PROJECT_SOURCE_DIR}/docs/man/${prog}.h2m)
    add_custom_command(OUTPUT ${page}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
      COMMAND ${HELP2MAN} --no-info --no-discard-stderr --section=${section} --name=${summary}
              --include=${include} --manual=Parley --source=Parley\ ${PROJECT_VERSION}
              --output=${page} $<TARGET_FILE:${prog}>
      DEPENDS ${prog} ${include}
      COMMENT "help2man ${prog}.${section}"
      VERBATIM)
    list(APPEND parley_man_pages ${page})
    install(FILES ${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section} COMPONENT ${component})
  endforeach()
  add_custom_target(man ALL DEPENDS ${parley_man_pages})
endif()

# Packages: cpack -G DEB (in the build directory) makes parley-agent_VERSION_ARCH.deb and
# parley-collector_VERSION_ARCH.deb, the latter with the analysts' parley command (it reads
# the same database, and whoever runs a collector is who runs reports). Depends come from
# dpkg-shlibdeps on the binaries: only Debian's own libraries.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME parley)
set(CPACK_PACKAGE_VENDOR "Parley")
set(CPACK_PACKAGE_CONTACT "Parley maintainers <parley@localhost>")
# The units were configured with this prefix, so the packages use it too: build them from a
# tree configured with -DCMAKE_INSTALL_PREFIX=/usr (README.md, "Running in production").
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL agent collector doc)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_AGENT_PACKAGE_NAME parley-agent)
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_NAME parley-collector)
set(CPACK_DEBIAN_DOC_PACKAGE_NAME parley-doc)
set(CPACK_DEBIAN_DOC_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_DOC_PACKAGE_SECTION doc)
set(CPACK_DEBIAN_AGENT_PACKAGE_SUGGESTS parley-doc)
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_SUGGESTS "parley-doc, postgresql")
set(CPACK_COMPONENT_AGENT_DESCRIPTION
    "Parley agent: delivers a housing association's conversation events to parley-collector
Follows feeds and a drop folder, keeps every accepted event in a durable spool until a
collector has acknowledged it, and sends over ZeroMQ.")
set(CPACK_COMPONENT_COLLECTOR_DESCRIPTION
    "Parley collector: stores conversation events from agents in PostgreSQL, exactly once
Also the analysts' command line, parley, which reads the collector's database.")
set(CPACK_COMPONENT_DOC_DESCRIPTION
    "Parley documentation: README and docs/*.md (operations, agent, collector, protocol)")
# systemd-sysusers creates the parley user at install; the packages never start or enable
# a service unasked, and stop it only on removal.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_AGENT_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_DEPENDS "systemd")
foreach(pkg IN ITEMS agent collector)
  string(TOUPPER ${pkg} PKG)
  set(CPACK_DEBIAN_PKG_NAME parley-${pkg})
  foreach(script IN ITEMS postinst prerm postrm)
    configure_file(${PROJECT_SOURCE_DIR}/cmake/debian/${script}.in
                   ${PROJECT_BINARY_DIR}/deploy/debian/${pkg}/${script} @ONLY
                   FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                                    WORLD_READ WORLD_EXECUTE)
  endforeach()
  set(CPACK_DEBIAN_${PKG}_PACKAGE_CONTROL_EXTRA
      ${PROJECT_BINARY_DIR}/deploy/debian/${pkg}/postinst
      ${PROJECT_BINARY_DIR}/deploy/debian/${pkg}/prerm
      ${PROJECT_BINARY_DIR}/deploy/debian/${pkg}/postrm)
endforeach()
include(CPack)
