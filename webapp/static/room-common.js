// What the session room (chat.js) and the group room (group.js) share: a message's client id,
// sending a pending message until the server has stored it, the message box's keys, asking for
// missed messages while the server's instances cannot reach each other, and the keep-alive that
// holds the web sign-in open through a meeting.

export const ACK_TIMEOUT_MS = 10000
const GAP_WAIT_MS = 2000
const KEEP_ALIVE_MS = 5 * 60 * 1000
const RESYNC_WHILE_RELAY_DOWN_MS = 3000

export function newClientId () {
  if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID()
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`
}

// Send a pending message ({body, element}) with its client id. A timeout leaves it pending (it is
// sent again, with the same id, on reconnection); a refusal puts the text back and says why.
export function transmit (socket, pending, clientId, { add, input, showError, stored }) {
  const waiting = pending.get(clientId)
  if (!waiting || !socket.connected) return
  socket.timeout(ACK_TIMEOUT_MS).emit('send', { client_id: clientId, body: waiting.body }, (timedOut, ack) => {
    if (timedOut) return
    if (ack.ok) {
      add(ack.message)
      if (stored) stored(ack)
      return
    }
    waiting.element.remove()
    pending.delete(clientId)
    if (!input.value) input.value = waiting.body
    showError(ack.error)
  })
}

// Show a message as pending ("Sending…") at the end of the list and remember it by a new id.
export function queue (list, pending, body) {
  const clientId = newClientId()
  const element = document.createElement('li')
  element.className = 'app-chat__message app-chat__message--mine app-chat__message--pending'
  element.textContent = 'Sending… ' + body
  list.append(element)
  pending.set(clientId, { body, element })
  return clientId
}

// With a keyboard, Enter sends and Shift and Enter makes a new line. A phone's or tablet's
// on-screen keyboard has no Shift and Enter, so where the pointer is a finger Enter makes a new
// line and the Send button sends. `hint` (the page's default suits both) says which applies.
const TOUCH = '(pointer: coarse)'
const HINTS = {
  touch: 'Enter starts a new line. Press Send to send your message.',
  keyboard: 'Press Enter to send, Shift and Enter for a new line.'
}

export function sendOnEnter (input, form, hint) {
  const touch = window.matchMedia(TOUCH)
  const say = () => {
    if (hint) hint.textContent = touch.matches ? HINTS.touch : HINTS.keyboard
  }
  say()
  touch.addEventListener('change', say)
  input.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing || touch.matches) return
    event.preventDefault()
    form.requestSubmit()
  })
}

export function keepSignedIn () {
  setInterval(() => fetch(window.location.href, { method: 'HEAD', credentials: 'same-origin' }), KEEP_ALIVE_MS)
}

// Put a stored message in its place: the pending copy of one's own message goes, and the
// message stands in sequence order, before any still pending.
export function place (list, pending, message, item, mine) {
  const waiting = pending.get(message.client_id)
  if (waiting && mine) {
    waiting.element.remove()
    pending.delete(message.client_id)
  }
  const later = [...list.querySelectorAll('li[data-sequence]')].find((li) => Number(li.dataset.sequence) > message.sequence)
  list.insertBefore(item, later || list.querySelector('.app-chat__message--pending'))
  list.scrollTop = list.scrollHeight
}

// While the server cannot reach the app's other instances it says so ("relay", {live: false}):
// a message from someone connected to another instance is then stored but not pushed to this
// page. Ask for what was missed at once and every few seconds, and once more when the link is
// back. `resync(live)` asks; the server says again at the door after a reconnection.
export function followRelay (socket, resync) {
  let timer = null
  const stop = () => { clearInterval(timer); timer = null }
  socket.on('relay', ({ live }) => {
    stop()
    if (!live) timer = setInterval(() => resync(false), RESYNC_WHILE_RELAY_DOWN_MS)
    resync(live)
  })
  socket.on('disconnect', stop)
}

// A skipped message number: a message on its way, or one that will never be pushed to this page
// (lost between the server's instances). `checkGap()` after each message: if the page is still
// `behind()` a moment later, it asks (`resync()`).
export function watchGaps (behind, resync) {
  let timer = null
  return function checkGap () {
    if (!behind() || timer) return
    timer = setTimeout(() => {
      timer = null
      if (behind()) resync()
    }, GAP_WAIT_MS)
  }
}
