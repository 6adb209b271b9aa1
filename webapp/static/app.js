// Start the NHS.UK frontend components (header menu, error summary focus, password reveal...).
import { initAll } from './nhsuk/nhsuk-frontend.min.js'

initAll()

// "Print" buttons are hidden until this script can make them work.
for (const button of document.querySelectorAll('[data-app-print]')) {
  button.hidden = false
  button.addEventListener('click', () => window.print())
}

// Warn before a time limit signs the person out (WCAG 2.2.1, Timing Adjustable). The server says
// how many seconds are left (relative, so this browser's clock need not agree with the server's);
// before warning, the page asks again, since another tab may have been used since. Someone who
// has just typed or tapped on this page is using it: their session is kept without a warning.
// The absolute limit cannot be extended: the warning says so.
const timeoutDialog = document.getElementById('app-timeout')
if (timeoutDialog && typeof timeoutDialog.showModal === 'function') watchSignIn(timeoutDialog)

function watchSignIn (dialog) {
  const warnMs = Number(dialog.dataset.warnSeconds) * 1000
  const token = dialog.querySelector('input[name="csrf_token"]').value
  const heading = dialog.querySelector('#app-timeout-heading')
  const action = (name) => dialog.querySelector(`[data-timeout-action="${name}"]`)
  let idleAt = 0
  let absoluteAt = 0
  let timer = null
  let countdown = null
  let lastUsed = 0
  let ended = false
  let opener = null
  let noticed = false // the absolute limit's notice was read: say nothing more until it passes

  const deadline = () => Math.min(idleAt, absoluteAt)
  const isAbsoluteFirst = () => absoluteAt <= idleAt

  function learn ({ idle_seconds: idle, absolute_seconds: absolute }) {
    const now = Date.now()
    idleAt = now + idle * 1000
    absoluteAt = now + absolute * 1000
  }

  // Seconds left, or null once signed out; throws when the server cannot be reached.
  async function ask (url, options) {
    const response = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json', 'X-CSRFToken': token }, ...options })
    if (response.status === 401) return null
    if (!response.ok) throw new Error(`status ${response.status}`)
    return response.json()
  }

  function schedule () {
    clearTimeout(timer)
    if (ended) return
    if (noticed) timer = setTimeout(expire, Math.max(0, deadline() - Date.now()) + 1000)
    else timer = setTimeout(check, Math.max(0, deadline() - warnMs - Date.now()))
  }

  async function check () {
    let left
    try {
      left = await ask(dialog.dataset.statusUrl)
    } catch {
      left = undefined // keep what we knew
    }
    if (left === null) return end()
    if (left) learn(left)
    if (deadline() - Date.now() > warnMs + 1000) return schedule() // used in another tab
    if (!isAbsoluteFirst() && Date.now() - lastUsed < warnMs) return stay() // busy on this page
    warn()
  }

  function show (part, title) {
    heading.textContent = title
    for (const paragraph of dialog.querySelectorAll('[data-timeout-part]')) {
      paragraph.hidden = paragraph.dataset.timeoutPart !== part
    }
    const canStay = part === 'idle'
    action('stay').hidden = !canStay
    action('close').hidden = canStay
    action('close').textContent = part === 'ended' ? 'Close' : 'Carry on'
    action('sign-in').hidden = part !== 'ended'
    action('sign-out').hidden = part === 'ended'
    if (!dialog.open) {
      opener = document.activeElement
      dialog.showModal()
    }
    const first = [action('stay'), action('sign-in'), action('close')].find((element) => !element.hidden)
    first.focus()
  }

  function words (ms) {
    const seconds = Math.max(0, Math.ceil(ms / 1000))
    if (seconds >= 120) return `${Math.ceil(seconds / 60)} minutes`
    if (seconds >= 60) return seconds === 60 ? '1 minute' : `1 minute ${seconds - 60} seconds`
    return seconds === 1 ? '1 second' : `${seconds} seconds`
  }

  function tick () {
    for (const left of dialog.querySelectorAll('[data-timeout-left]')) left.textContent = words(deadline() - Date.now())
  }

  function warn () {
    tick()
    show(isAbsoluteFirst() ? 'absolute' : 'idle', 'You will be signed out soon')
    clearInterval(countdown)
    countdown = setInterval(tick, 1000)
    clearTimeout(timer)
    timer = setTimeout(expire, Math.max(0, deadline() - Date.now()) + 1000)
  }

  async function expire () {
    let left = null
    try {
      left = await ask(dialog.dataset.statusUrl)
    } catch {
      // unreachable: past the deadline the server will have signed them out
    }
    if (!left) return end()
    learn(left) // kept, in another tab
    noticed = false
    close()
  }

  function end () {
    ended = true
    clearTimeout(timer)
    clearInterval(countdown)
    show('ended', 'You have been signed out')
  }

  async function stay () {
    try {
      const left = await ask(dialog.dataset.extendUrl, { method: 'POST' })
      if (left === null) return end()
      learn(left)
      close()
    } catch {
      show('failed', 'You will be signed out soon')
    }
  }

  function close () {
    if (!ended) clearInterval(countdown)
    if (dialog.open) {
      dialog.close()
      if (opener && opener.focus) opener.focus()
    }
    schedule()
  }

  action('stay').addEventListener('click', stay)
  action('close').addEventListener('click', () => {
    if (!dialog.querySelector('[data-timeout-part="absolute"]').hidden) noticed = true
    close()
  })
  // Escape: keep signed in where that is possible, else just close the notice.
  dialog.addEventListener('cancel', (event) => {
    event.preventDefault()
    if (!action('stay').hidden) stay()
    else action('close').click()
  })
  for (const kind of ['keydown', 'input', 'pointerdown']) {
    document.addEventListener(kind, (event) => {
      if (!dialog.contains(event.target)) lastUsed = Date.now()
    }, { capture: true, passive: true })
  }
  // Timers in a hidden tab may run late: look again when it is shown.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && !dialog.open && !ended) schedule()
  })

  learn({ idle_seconds: Number(dialog.dataset.idleSeconds), absolute_seconds: Number(dialog.dataset.absoluteSeconds) })
  schedule()
}
