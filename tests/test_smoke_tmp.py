def test_home(client):
    r = client.get("/")
    assert r.status_code == 200, r.get_data(as_text=True)
    r = client.get("/login")
    assert r.status_code == 200


def test_login(client, staff):
    staff.signed_in(client, "admin")
    r = client.get("/admin/staff")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert client.get("/admin/branches").status_code == 200
    assert client.get("/admin/settings").status_code == 200
    assert client.get("/account/tokens").status_code == 200
    assert client.get("/nope").status_code == 404
