"""In a real browser: a process designer who switches the interface to Chinese finds the
modeler's own UI in Chinese too (the palette, the context pad and its replace menu, the
properties panel's groups and fields, bpmnlint's button, a decision table's tab), and a
designer who reads English still finds it in English."""

from __future__ import annotations

import bootstrap

# The shipped contract approval process: a user task, and a decision table in its own tab.
DESIGNER_PAGE = "/designer/contract_approval"
USER_TASK = "approve_contract"
DECISION_TABLE = "[role=tab][data-file='approval_route.dmn']"
DMN_PANEL = ".tab-panel[data-file='approval_route.dmn']"


def open_designer(page, live_server: str) -> list[str]:  # type: ignore[no-untyped-def]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(f"{live_server}{DESIGNER_PAGE}")
    page.wait_for_selector("#designer[data-ready=true]", timeout=15000)
    return errors


def select_element(page, element_id: str) -> None:  # type: ignore[no-untyped-def]
    page.evaluate("""(id) => {
      const modeler = document.getElementById("designer").bpmnModeler;
      modeler.get("selection").select(modeler.get("elementRegistry").get(id));
    }""", element_id)


def palette_tooltip(page, action: str) -> str:  # type: ignore[no-untyped-def]
    """What a designer reads when the pointer rests on a palette tool."""
    page.hover(f".djs-palette .entry[data-action='{action}']")
    tooltip = page.locator(".djs-hover-tooltip")
    tooltip.wait_for()
    return str(tooltip.inner_text())


def group_titles(page) -> list[str]:  # type: ignore[no-untyped-def]
    return list(page.locator(".properties-panel .bio-properties-panel-group-header-title").all_inner_texts())


def field_label(page, group_id: str, field_id: str) -> str:  # type: ignore[no-untyped-def]
    """A field's label in the properties panel, its group opened first when it is closed."""
    field = page.locator(f"#bio-properties-panel-{field_id}")
    if not field.is_visible():
        page.click(f"[data-group-id={group_id}] .bio-properties-panel-group-header")
    return str(page.locator(f"label[for=bio-properties-panel-{field_id}]").inner_text())


def test_a_chinese_designer_works_in_a_chinese_modeler(container: bootstrap.Container, live_server: str, log_in):
    bootstrap.deploy_shipped(container)
    page = log_in("yang.fan")  # reads English until switching in the header
    with page.expect_navigation():
        page.click("header button:text-is('中文')")
    errors = open_designer(page, live_server)
    assert page.evaluate("document.documentElement.lang") == "zh-CN"

    palette = page.locator(".djs-palette .entry[data-action='create.start-event']")
    assert palette.get_attribute("aria-label") == "创建开始事件"
    assert palette_tooltip(page, "create.exclusive-gateway") == "创建网关"
    assert page.locator(".bjsl-button").inner_text().strip() == "没有问题"

    select_element(page, USER_TASK)
    assert page.locator(".bio-properties-panel-header-type").text_content() == "用户任务"
    titles = group_titles(page)
    for title in ("常规", "用户分配", "表单字段", "任务监听器", "异步延续", "执行监听器", "扩展属性"):
        assert title in titles
    assert "General" not in titles
    assert field_label(page, "group-general", "name") == "名称"
    assert field_label(page, "group-CamundaPlatform__UserAssignment", "assignee") == "办理人"
    assert field_label(page, "group-CamundaPlatform__UserAssignment", "candidateGroups") == "候选组"

    pad = page.locator(".djs-context-pad .entry[data-action='append.end-event']")
    assert pad.get_attribute("title") == "追加结束事件"
    page.click(".djs-context-pad .entry[data-action=replace]")  # change the element's type
    menu = page.locator(".djs-popup")
    menu.wait_for()
    assert "更改元素类型" in menu.inner_text()
    assert menu.locator(".entry", has_text="服务任务").count() == 1
    page.keyboard.press("Escape")

    page.click(DECISION_TABLE)
    table = page.locator(f"{DMN_PANEL} .tjs-table")
    table.wait_for()
    assert page.locator(f"{DMN_PANEL} .hit-policy .dms-label").inner_text() == "命中策略："
    clauses = table.locator("th .clause").all_inner_texts()
    assert clauses[0] == "当" and "则" in clauses
    assert "数字" in table.locator("th .input-variable").all_inner_texts()  # the input column's type
    assert page.locator(f"{DMN_PANEL} .view-drd-button").inner_text() == "查看 DRD"
    assert errors == []


def test_an_english_designer_still_reads_english(container: bootstrap.Container, live_server: str, log_in):
    bootstrap.deploy_shipped(container)
    page = log_in("yang.fan")
    errors = open_designer(page, live_server)
    assert page.evaluate("document.documentElement.lang") == "en"

    palette = page.locator(".djs-palette .entry[data-action='create.start-event']")
    assert palette.get_attribute("aria-label") == "Create start event"
    assert palette_tooltip(page, "create.exclusive-gateway") == "Create gateway"

    select_element(page, USER_TASK)
    assert page.locator(".bio-properties-panel-header-type").text_content() == "User Task"
    titles = group_titles(page)
    assert "General" in titles and "User assignment" in titles
    assert field_label(page, "group-general", "name") == "Name"
    assert field_label(page, "group-CamundaPlatform__UserAssignment", "candidateGroups") == "Candidate groups"

    page.click(DECISION_TABLE)
    table = page.locator(f"{DMN_PANEL} .tjs-table")
    table.wait_for()
    assert page.locator(f"{DMN_PANEL} .hit-policy .dms-label").inner_text() == "Hit policy:"
    assert table.locator("th .clause").all_inner_texts()[0] == "When"
    assert errors == []
