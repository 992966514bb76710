# Everything orgkit needs comes from Debian packages (see setup.sh); nothing is downloaded.
find_package(Threads REQUIRED)
find_package(tl-expected REQUIRED)  # libexpected-dev: public headers use tl::expected
find_package(SQLiteCpp REQUIRED)    # libsqlitecpp-dev: target SQLiteCpp (no namespace)
find_package(fmt REQUIRED)          # libfmt-dev
find_package(sodium REQUIRED)       # libsodium-dev: invitation tokens (random, hashing)
find_package(nlohmann_json 3 REQUIRED)  # nlohmann-json3-dev: policy files and claims (src/ only)
