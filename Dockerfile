# The image every Airflow service in docker-compose.yaml runs: the official Airflow image
# with Preflight installed from the same pinned constraints as `make install`.
#
# The tag's Airflow and Python versions must match the apache-airflow pin in
# constraints.txt and `requires-python` in pyproject.toml; scripts/validate_compose.py
# (run by CI) fails when they drift apart.
FROM apache/airflow:3.3.2-python3.11

# The official image installs Python packages as the `airflow` user, never as root.
USER airflow
WORKDIR /opt/airflow

# Only what the install needs, least-changing first so the dependency layer stays cached
# while the code changes. pyproject.toml names README.md as the long description, so the
# build needs it too.
COPY --chown=airflow:0 constraints.txt pyproject.toml README.md /opt/airflow/
COPY --chown=airflow:0 include/ /opt/airflow/include/

# `-c constraints.txt` keeps every dependency Preflight shares with Airflow at the exact
# versions the project tests with (apache-airflow itself is pinned there too, so pip
# cannot up- or downgrade the Airflow the image ships). Editable, so the ./include mount
# that docker-compose.yaml puts over /opt/airflow/include is the code that runs: edit,
# restart the service, no rebuild.
RUN pip install --no-cache-dir -c constraints.txt -e .

# Mount points of the named volumes: created here, as `airflow`, so that Docker seeds
# each fresh volume with this ownership instead of root's.
RUN mkdir -p /opt/airflow/preflight/lineage /opt/airflow/auth
