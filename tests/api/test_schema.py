"""OpenAPI schema and docs; a property-based run of the whole schema against a live server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks
from schemathesis.generation import GenerationMode

from fortycrm.models import SiteSettings
from tests import factories
from tests.api.conftest import make_key

pytestmark = pytest.mark.django_db


def test_schema_is_openapi_3_with_all_resources(client):
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for resource in ("customers", "statuses", "tags", "contacts", "locations", "suppliers", "meters", "readings", "orders", "invoices"):
        assert f"/api/v1/{resource}/" in schema["paths"] and f"/api/v1/{resource}/{{id}}/" in schema["paths"]
    assert "post" in schema["paths"]["/api/v1/intake/"]
    assert "put" not in schema["paths"]["/api/v1/customers/{id}/"]
    customer = schema["components"]["schemas"]["Customer"]["properties"]
    assert {"status_name", "tags", "display_name", "logo"} <= set(customer)
    params = {p["name"] for p in schema["paths"]["/api/v1/customers/"]["get"]["parameters"]}
    assert {"status", "tag", "account_manager", "changed_since", "search", "ordering", "page", "page_size"} <= params
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"]["name"] == "Authorization"


def test_swagger_ui_is_served_without_cdn(client):
    html = client.get("/api/v1/docs/").content.decode()
    assert "swagger-ui" in html and "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn.jsdelivr" not in html and "unpkg" not in html


@pytest.fixture
def live_api(live_server, transactional_db):
    SiteSettings.objects.update_or_create(pk=1, defaults={"api_rate_limit_per_minute": 0})
    factories.company("Live GmbH", tags=["VIP"])
    return {"url": live_server.url, "headers": {"Authorization": f"Api-Key {make_key('write')}", "Accept-Language": "en"}}


SETTINGS = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,  # the same examples every run: no flakiness
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.django_db(transaction=True)
def test_property_based_no_500_and_schema_conform(live_api):
    """Valid and invalid requests to every operation: never a 500, answers match the schema."""
    raw = requests.get(f"{live_api['url']}/api/v1/schema/?format=json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(raw)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @SETTINGS
            def run(case):
                case.call_and_validate(
                    base_url=live_api["url"],
                    headers=live_api["headers"],
                    checks=[checks.not_a_server_error, checks.response_schema_conformance, checks.content_type_conformance],
                    timeout=30,
                )

            try:
                run()
            except Exception as exc:  # noqa: BLE001  (collect all, report together)
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    assert not failures, "\n\n".join(failures)


def test_schema_version_is_plain_semver_and_paths_keep_the_generation(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    assert re.fullmatch(r"\d+\.\d+\.\d+", schema["info"]["version"]), schema["info"]["version"]
    assert all(path.startswith("/api/v1/") for path in schema["paths"])


def test_schema_states_the_customer_constraints(client):
    """What the API validates is in the schema: lengths, formats, enums, ranges."""
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    for component in ("CustomerRequest", "PatchedCustomerRequest", "Customer"):
        props = components[component]["properties"]
        for name, limit in (("name", 200), ("short_name", 80), ("postcode", 10), ("country", 2), ("vat_id", 20), ("notes", 10000)):
            assert props[name]["maxLength"] == limit, (component, name)
        email = next(o for o in props["email"]["oneOf"] if o.get("format"))
        assert email == {"type": "string", "format": "email", "maxLength": 254}
        assert next(o for o in props["website"]["oneOf"] if o.get("format"))["format"] == "uri"
        assert props["start_date"]["format"] == "date" and props["tags"]["items"]["maxLength"] == 60
        assert props["number"]["minimum"] == 1 and props["account_manager"]["minimum"] == 1
        assert props["kind"]["allOf"][0]["$ref"].endswith("/CustomerKindEnum")
    assert components["CustomerKindEnum"]["enum"] == ["company", "private"]
    assert set(components["SalutationEnum"]["enum"]) >= {"ms", "mr", "diverse"}
    assert components["Customer"]["properties"]["created_at"]["format"] == "date-time"
    params = {p["name"]: p for p in schema["paths"]["/api/v1/customers/"]["get"]["parameters"]}
    assert params["account_manager"]["schema"]["type"] == "integer" and params["tag"]["explode"] is True
    assert params["tag"]["schema"]["items"]["maxLength"] == 60 and params["status"]["description"]
    assert "pattern" in params["ordering"]["schema"]


@pytest.fixture
def client_package(tmp_path_factory, live_server):
    """A Python client generated from the live schema with openapi-python-client (offline)."""
    out = tmp_path_factory.mktemp("client")
    schema_file = out / "openapi.json"
    schema_file.write_text(requests.get(f"{live_server.url}/api/v1/schema/?format=json", timeout=30).text, encoding="utf-8")
    generator = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run(
        [str(generator), "generate", "--path", str(schema_file), "--output-path", str(out / "fortycrm_client"), "--meta", "none"],
        capture_output=True, text=True, timeout=300, cwd=out,
        env={**os.environ, "PATH": os.pathsep.join([str(generator.parent), os.environ.get("PATH", "")])},  # its ruff post-hooks
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(out))
    yield out
    sys.path.remove(str(out))
    for name in [m for m in sys.modules if m == "fortycrm_client" or m.startswith("fortycrm_client.")]:
        del sys.modules[name]


@pytest.mark.django_db(transaction=True)
def test_a_client_generated_from_the_schema_works(live_server, client_package):
    """create, filtered list and retrieve through the generated client against a live server."""
    package = next(p.name for p in client_package.iterdir() if (p / "client.py").exists())
    assert package == "fortycrm_client", package
    from fortycrm_client import AuthenticatedClient
    from fortycrm_client.api.customers import customers_create, customers_list, customers_retrieve
    from fortycrm_client.models import CustomerKindEnum, CustomerRequest

    SiteSettings.objects.update_or_create(pk=1, defaults={"api_rate_limit_per_minute": 0})
    factories.company("Andere GmbH", tags=["Nord"])
    api = AuthenticatedClient(base_url=live_server.url, token=make_key("write"), prefix="Api-Key", raise_on_unexpected_status=True)
    created = customers_create.sync(
        client=api, body=CustomerRequest(kind=CustomerKindEnum.COMPANY, name="Generiert GmbH", status="Kunde", tags=["VIP"], email="info@generiert.example")
    )
    assert created.name == "Generiert GmbH" and created.status_name == "Kunde" and created.number and created.tags == ["VIP"]
    page = customers_list.sync(client=api, status="Kunde", tag=["VIP"], page_size=10)
    assert page.count == 1 and [c.id for c in page.results] == [created.id]
    assert page.results[0].to_dict() == created.to_dict()
    again = customers_retrieve.sync(client=api, id=created.id)
    assert again.to_dict() == created.to_dict() and again.email == "info@generiert.example"
