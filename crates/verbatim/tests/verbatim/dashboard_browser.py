"""Drives Verbatim's web dashboard in headless Chromium (Debian's chromium and chromium-driver,
through selenium, installed by scripts/install-browser.sh) as a person would use it, saves a
screenshot of each page, and prints what it saw as one JSON object for dashboard.rs to check.

usage: dashboard_browser.py BASE_URL API_KEY TWO_SPEAKER_WAV SHORT_WAV SCREENSHOT_DIR

The two-speaker recording (2 MB) is uploaded through the presigned flow (the page is opened with
?presign_over_mb=1) with speakers told apart; the short one, direct (multipart), is cancelled
while it waits in the queue behind the first, then deleted.
"""

import json
import os
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

# Recognising and diarizing 63 s of speech on a busy 2-core machine.
JOB_TIMEOUT_S = 600
STEP_TIMEOUT_S = 30


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("VERBATIM_CHROMIUM", "/usr/bin/chromium")
    for arg in [
        "--headless=new",
        "--no-sandbox",  # the tests may run as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--autoplay-policy=no-user-gesture-required",
        "--window-size=1280,1000",
        "--lang=en-GB",
    ]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(
        executable_path=os.environ.get("VERBATIM_CHROMEDRIVER", "/usr/bin/chromedriver")
    )
    return webdriver.Chrome(options=options, service=service)


class Page:
    def __init__(self, driver, base, key):
        self.d = driver
        self.base = base
        self.key = key

    def wait(self, condition, timeout=STEP_TIMEOUT_S, what="a condition"):
        try:
            # The job list redraws a row when the job moves: an element found a moment ago may
            # be gone; the condition is simply tried again.
            return WebDriverWait(
                self.d,
                timeout,
                poll_frequency=0.2,
                ignored_exceptions=[
                    NoSuchElementException,
                    StaleElementReferenceException,
                    IndexError,
                ],
            ).until(condition)
        except Exception as e:
            raise AssertionError(f"waited {timeout} s for {what}; page text:\n{self.text()}") from e

    def text(self):
        try:
            return self.d.find_element(By.TAG_NAME, "body").text
        except Exception:
            return "(no page)"

    def one(self, css):
        return self.d.find_element(By.CSS_SELECTOR, css)

    def visible(self, css, timeout=STEP_TIMEOUT_S):
        return self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, css)), timeout, css)

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def severe(self):
        """The browser console's SEVERE entries since the last call (reading drains them)."""
        return [e for e in self.d.get_log("browser") if e["level"] == "SEVERE"]

    def api(self, path):
        request = urllib.request.Request(
            self.base + path, headers={"Authorization": f"Bearer {self.key}"}
        )
        with urllib.request.urlopen(request, timeout=60) as r:
            return json.load(r)

    def output(self, job_id, fmt):
        files = self.api(f"/v1/batch/jobs/{job_id}/files")
        url = next(o["download_url"] for o in files["outputs"] if o["format"] == fmt)
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.read().decode("utf-8")

    def row(self, job_id):
        return self.d.find_elements(By.CSS_SELECTOR, f'tr[data-job-id="{job_id}"]')

    def row_status(self, job_id):
        return self.js(
            "const row = document.querySelector(`tr[data-job-id=\"${arguments[0]}\"]`);"
            "return row ? row.dataset.status : null",
            job_id,
        )

    def row_text(self, job_id):
        return self.wait(lambda _: self.row(job_id)[0].text, what=f"the row of {job_id}")

    def click_in_row(self, job_id, label):
        def click(_):
            self.row(job_id)[0].find_element(By.XPATH, f".//button[text()='{label}']").click()
            return True

        self.wait(click, what=f"{label} on {job_id}")

    def word_texts(self):
        return self.js(
            "return [...document.querySelectorAll('#transcript button.word')].map(b => b.textContent)"
        )

    def shot(self, directory, name):
        path = os.path.join(directory, name)
        self.d.save_screenshot(path)
        return path


def main():
    base, key, two_speakers, short, shots = sys.argv[1:6]
    os.makedirs(shots, exist_ok=True)
    out = {}
    d = browser()
    p = Page(d, base, key)
    try:
        # ---- sign-in: a wrong key first ----------------------------------------------------
        d.get(base + "/?presign_over_mb=1")
        p.visible("#api-key")
        out["title"] = d.title
        p.shot(shots, "sign-in.png")
        p.one("#api-key").send_keys("not-a-key")
        p.one("#api-key").send_keys(Keys.ENTER)
        error = p.visible("#signin-error")
        p.wait(lambda _: error.text.strip(), what="the sign-in error")
        out["wrong_key_error"] = error.text
        # The refused call is the one expected console entry (Chromium logs every 4xx load).
        out["wrong_key_console"] = [e["message"] for e in p.severe()]
        out["key_in_session_storage_before"] = p.js("return sessionStorage.length")
        key_field = p.one("#api-key")
        key_field.clear()
        key_field.send_keys(key)
        p.one("#signin-form button[type=submit]").click()
        p.visible("#jobs-view")
        out["key_in_session_storage"] = p.js(
            "return Object.values(sessionStorage).includes(arguments[0])", key
        )
        out["key_in_local_storage"] = p.js("return localStorage.length")

        # ---- upload two files: a presigned upload and a multipart one --------------------------
        Select(p.one("#opt-diarization")).select_by_value("speaker")
        Select(p.one("#opt-language")).select_by_value("en")
        p.one("#file-input").send_keys(two_speakers + "\n" + short)

        def uploaded(_):
            rows = d.find_elements(By.CSS_SELECTOR, "#uploads li")
            texts = [r.find_element(By.CSS_SELECTOR, ".upload-status").text for r in rows]
            failed = [t for t in texts if t.startswith("Not uploaded")]
            if failed:
                raise AssertionError(f"an upload failed: {failed}")
            return len(texts) == 2 and all(t.startswith("Uploaded: job ") for t in texts) and texts

        # The newest upload is listed first.
        texts = p.wait(uploaded, 120, "both uploads")
        short_id, long_id = (t.removeprefix("Uploaded: job ").strip() for t in texts)
        out["long_job"], out["short_job"] = long_id, short_id
        out["upload_bars"] = p.js(
            "return [...document.querySelectorAll('#uploads progress')].map(b => [b.value, b.max])"
        )

        # ---- cancel the short job while it waits, then delete it --------------------------------
        p.wait(lambda _: p.row(short_id), what="the short job in the list")
        out["short_status_before_cancel"] = p.row_status(short_id)
        p.click_in_row(short_id, "Cancel")
        p.wait(lambda _: p.row_status(short_id) == "FAILED", what="the cancelled job FAILED")
        out["short_row_after_cancel"] = p.row_text(short_id)
        p.click_in_row(short_id, "Delete")
        p.wait(lambda _: not p.row(short_id), what="the deleted job to leave the list")

        # ---- the list updates by itself until the long job is DONE ------------------------------
        seen = set()

        def long_done(_):
            status = p.row_status(long_id)
            seen.add(status)
            return status == "DONE"

        p.wait(long_done, JOB_TIMEOUT_S, "the two-speaker job to be DONE")
        out["long_statuses_seen"] = sorted(s for s in seen if s)
        out["long_row"] = p.row_text(long_id)
        p.shot(shots, "jobs.png")

        # ---- the job page: read along ------------------------------------------------------------
        p.wait(
            lambda _: p.row(long_id)[0].find_element(By.CSS_SELECTOR, "a.job-link").click() or True,
            what="the job's link",
        )
        p.wait(lambda _: len(p.word_texts()) > 20, 60, "the transcript's words")
        p.wait(lambda _: p.js("return document.querySelector('#player').readyState") >= 1, 60, "the audio's metadata")
        out["words"] = p.word_texts()
        out["speaker_tags"] = p.js(
            "return [...new Set([...document.querySelectorAll('.speaker-tag')].map(t => t.textContent))]"
        )
        out["audio_duration"] = p.js("return document.querySelector('#player').duration")

        # Clicking a word seeks the audio to its start and highlights it.
        buttons = d.find_elements(By.CSS_SELECTOR, "#transcript button.word")
        target = buttons[len(buttons) // 2]
        start = float(target.get_attribute("data-start"))
        before = p.js("return document.querySelector('#player').currentTime")
        target.click()
        p.wait(
            lambda _: abs(p.js("return document.querySelector('#player').currentTime") - start) < 0.05,
            what="the player to seek to the word",
        )
        out["seek"] = {
            "word_start": start,
            "before": before,
            "after": p.js("return document.querySelector('#player').currentTime"),
            "speaking": target.get_attribute("class"),
        }
        # Keyboard: the next word by arrow key, Enter seeks there.
        d.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
        d.switch_to.active_element.send_keys(Keys.ENTER)
        following = buttons[len(buttons) // 2 + 1]
        p.wait(
            lambda _: abs(
                p.js("return document.querySelector('#player').currentTime")
                - float(following.get_attribute("data-start"))
            )
            < 0.05,
            what="Enter on the next word to seek",
        )
        out["keyboard_seek"] = True

        # Playing moves the highlight on by itself.
        p.js("document.querySelector('#player').play()")
        p.wait(
            lambda _: p.js("return document.querySelector('#player').currentTime") > start + 1.5,
            what="the audio to play",
        )
        p.js("document.querySelector('#player').pause()")
        out["highlight_after_play"] = p.js(
            "const b = document.querySelector('#transcript button.word.speaking');"
            "return b ? Number(b.dataset.start) : null"
        )
        out["time_after_play"] = p.js("return document.querySelector('#player').currentTime")

        # Search highlights matches.
        probe = next(w for w in out["words"][5:] if len(w.strip(".,?!")) >= 5).strip(".,?!")
        p.one("#search").send_keys(probe)
        p.wait(lambda _: "match" in p.one("#search-count").text, what="the search count")
        out["search"] = {
            "query": probe,
            "count": p.one("#search-count").text,
            "highlighted": p.js(
                "return [...document.querySelectorAll('#transcript button.word.match')].map(b => b.textContent)"
            ),
        }
        p.one("#search").clear()

        # ---- correct: rename S1, fix a word, restore ----------------------------------------------
        out["srt_before"] = p.output(long_id, "srt")
        name = p.one("#speaker-name-S1")
        name.clear()
        name.send_keys("Alice")
        p.one("#speakers-form button[type=submit]").click()
        p.wait(lambda _: "Alice (S1)" in p.one("#transcript").text, what="the name in the transcript")
        out["srt_after_rename"] = p.output(long_id, "srt")

        fixed_index = 3
        word = d.find_elements(By.CSS_SELECTOR, "#transcript button.word")[fixed_index]
        out["word_before_fix"] = word.text
        word.click()
        field = p.one("#word-text")
        field.clear()
        field.send_keys("Verbatim")
        p.one("#word-save").click()
        p.wait(
            lambda _: d.find_elements(By.CSS_SELECTOR, "#transcript button.word")[fixed_index].text
            == "Verbatim",
            what="the fixed word",
        )
        out["word_original_note"] = p.one("#word-original").text
        out["txt_after_fix"] = p.output(long_id, "txt")
        out["json_after_fix"] = json.loads(p.output(long_id, "json"))
        p.shot(shots, "job.png")

        # Phone width: the same page at 375 px, nothing wider than the screen.
        d.set_window_size(375, 812)
        time.sleep(0.5)
        out["phone_scroll_width"] = p.js("return document.documentElement.scrollWidth")
        out["phone_client_width"] = p.js("return document.documentElement.clientWidth")
        p.shot(shots, "job-phone.png")
        d.set_window_size(1280, 1000)

        restore = p.one("#restore-original")
        restore.click()
        restore.click()  # the second click confirms
        p.wait(
            lambda _: d.find_elements(By.CSS_SELECTOR, "#transcript button.word")[fixed_index].text
            == out["word_before_fix"]
            and "Alice" not in p.one("#transcript").text,
            what="the original transcript",
        )
        out["srt_after_restore"] = p.output(long_id, "srt")
        out["txt_after_restore"] = p.output(long_id, "txt")
        out["downloads"] = p.js(
            "return [...document.querySelectorAll('#downloads a')].map(a => a.textContent)"
        )

        # ---- back to the list; delete the job --------------------------------------------------
        p.one("#back-link").click()
        p.wait(lambda _: p.row(long_id), what="the list again")
        p.click_in_row(long_id, "Delete")
        p.wait(lambda _: not p.row(long_id), what="the deleted job to leave the list")
        out["notice"] = p.one("#notice").text

        # Sign out forgets the key.
        p.one("#sign-out").click()
        p.visible("#api-key")
        out["key_after_sign_out"] = p.js("return sessionStorage.length")

        out["console_severe"] = [e["message"] for e in p.severe()]
    except BaseException:
        p.shot(shots, "failure.png")
        out["console_at_failure"] = [e["message"] for e in d.get_log("browser")]
        print(json.dumps(out, indent=1), file=sys.stderr)
        raise
    finally:
        d.quit()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
