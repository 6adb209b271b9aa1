// The session room: messages over Socket.IO, a 50-minute clock, typing, and resync after a
// dropped connection. Messages arrive as HTML the server already escaped and linkified
// (webapp/user_text.py); everything else is set as text.
import { io } from './socketio/socket.io.esm.min.js'
import { followRelay, keepSignedIn, place, queue, sendOnEnter, transmit as send, watchGaps } from './room-common.js'

const TYPING_IDLE_MS = 4000
const TYPING_REPEAT_MS = 3000

const root = document.getElementById('chat')
if (root) start(root)

function start (root) {
  const appointmentId = Number(root.dataset.appointmentId)
  const party = root.dataset.party
  const other = party === 'patient' ? 'Your therapist' : 'Your patient'
  const form = document.getElementById('chat-form')
  const input = document.getElementById('chat-input')
  const list = document.getElementById('chat-messages')
  const status = document.getElementById('chat-status')
  const typingLine = document.getElementById('chat-typing')
  const errorBox = document.getElementById('chat-error')
  const clock = document.getElementById('chat-clock')
  const shareTyping = document.getElementById('chat-share-typing')
  const csrfToken = form.querySelector('input[name="csrf_token"]').value

  const seen = new Set()
  const pending = new Map() // client id -> {body, element}: resent with the same id until stored
  let lastSeen = 0 // highest sequence with none missing before it
  let highest = 0 // highest sequence seen at all
  const checkGap = watchGaps(() => highest > lastSeen, () => resync())
  let endsAt = Date.now() + Number(root.dataset.secondsLeft) * 1000
  let typingSentAt = 0
  let typingTimer = null
  let theirTypingTimer = null
  let closed = false

  const socket = io('/chat', {
    transports: ['websocket', 'polling'],
    // A function, so each reconnection says what it last saw.
    auth: (send) => send({ appointment_id: appointmentId, csrf_token: csrfToken, last_seen: lastSeen })
  })

  function setStatus (text, offline) {
    status.textContent = text
    status.classList.toggle('app-chat__status--offline', Boolean(offline))
  }

  function showError (text) {
    errorBox.hidden = !text
    errorBox.textContent = text ? `Error: ${text}` : ''
  }

  function label (messageParty) {
    if (messageParty === party) return 'You'
    return messageParty === 'patient' ? 'Patient' : 'Therapist'
  }

  function render (message) {
    const item = document.createElement('li')
    item.className = `app-chat__message app-chat__message--${message.party === party ? 'mine' : 'theirs'}`
    item.dataset.sequence = message.sequence
    const meta = document.createElement('p')
    meta.className = 'nhsuk-body-s nhsuk-u-margin-bottom-1'
    const who = document.createElement('strong')
    who.textContent = label(message.party)
    const when = document.createElement('time')
    when.dateTime = message.sent_at
    when.textContent = ' ' + new Date(message.sent_at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    meta.append(who, when)
    const body = document.createElement('p')
    body.className = 'nhsuk-u-margin-bottom-0'
    body.innerHTML = message.html // escaped and linkified by the server (bleach)
    item.append(meta, body)
    return item
  }

  function add (message) {
    if (seen.has(message.sequence)) return
    seen.add(message.sequence)
    highest = Math.max(highest, message.sequence)
    while (seen.has(lastSeen + 1)) lastSeen += 1
    place(list, pending, message, render(message), message.party === party)
    checkGap()
  }

  // Everything after the last message this page has with none missing before it.
  function resync () {
    if (!socket.connected || closed) return
    socket.emit('resync', { last_seen: lastSeen }, (answer) => {
      if (answer && answer.ok) answer.messages.forEach(add)
    })
  }

  function transmit (clientId) {
    send(socket, pending, clientId, { add, input, showError })
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const body = input.value.trim()
    if (closed) return
    if (!body) {
      showError('Type a message before sending it.')
      input.focus()
      return
    }
    if (body.length > 4000) {
      showError(`Your message is too long: keep it to 4,000 characters (it is ${body.length.toLocaleString()}).`)
      return
    }
    if (!socket.connected) {
      setStatus('Reconnecting… Your message is kept here and you can send it when you are back.', true)
      return // the text stays in the box
    }
    showError('')
    const clientId = queue(list, pending, body)
    input.value = ''
    sendTyping(false)
    transmit(clientId)
  })

  sendOnEnter(input, form, document.getElementById('chat-enter-hint'))

  function sharing () {
    return !shareTyping || shareTyping.checked
  }

  function sendTyping (typing) {
    if (!socket.connected || !sharing()) return
    socket.emit('typing', { typing })
    typingSentAt = typing ? Date.now() : 0
  }

  input.addEventListener('input', () => {
    if (!sharing()) return
    if (Date.now() - typingSentAt > TYPING_REPEAT_MS) sendTyping(true)
    clearTimeout(typingTimer)
    typingTimer = setTimeout(() => sendTyping(false), TYPING_IDLE_MS)
  })

  if (shareTyping) {
    shareTyping.addEventListener('change', () => {
      socket.emit('typing_preference', { share: shareTyping.checked })
    })
  }

  socket.on('connect', () => {
    showError('')
    setStatus('Connected.')
    if (shareTyping && !shareTyping.checked) socket.emit('typing_preference', { share: false })
    for (const clientId of pending.keys()) transmit(clientId)
  })
  socket.on('disconnect', () => { if (!closed) setStatus('Reconnecting…', true) })
  socket.io.on('reconnect_attempt', () => setStatus('Reconnecting…', true))
  socket.on('connect_error', (error) => {
    if (socket.active) {
      setStatus('Reconnecting…', true) // a network problem: the client tries again by itself
    } else {
      setStatus('Not connected.', true) // refused by the server: say why
      showError(error.message)
    }
  })
  socket.on('joined', (state) => {
    endsAt = Date.now() + state.seconds_left * 1000
    tick()
    setStatus(state.other_present ? `Connected. ${other} is in the room.` : `Connected. ${other} has not joined yet.`)
  })
  socket.on('history', (messages) => messages.forEach(add))
  socket.on('chat', add)
  followRelay(socket, resync)
  socket.on('presence', (change) => {
    if (change.party !== party) setStatus(`${other} has ${change.present ? 'joined' : 'left'} the room.`)
  })
  socket.on('typing', (change) => {
    if (change.party === party) return
    typingLine.textContent = change.typing ? `${other} is typing…` : ''
    clearTimeout(theirTypingTimer)
    if (change.typing) theirTypingTimer = setTimeout(() => { typingLine.textContent = '' }, TYPING_IDLE_MS * 2)
  })
  socket.on('closed', end)
  socket.on('risk_flag', showRisk)

  function showRisk (flag) {
    // To the therapist alone: a risk answer given while they are in the room (see sockets.py).
    const box = document.getElementById('chat-risk')
    if (!box) return
    const heading = document.createElement('h2')
    heading.className = 'nhsuk-warning-callout__label'
    heading.textContent = 'Risk answer to read'
    const text = document.createElement('p')
    text.textContent = flag.message + ' '
    const link = document.createElement('a')
    link.href = flag.url
    link.target = '_blank'
    link.rel = 'noopener'
    link.textContent = 'Read the answers (opens in a new tab)'
    text.append(link)
    box.replaceChildren(heading, text)
    box.hidden = false
  }

  function end () {
    if (closed) return
    closed = true
    // The server's word wins over this device's clock (one that runs slow, or woke from sleep).
    endsAt = Date.now()
    clock.textContent = '0:00'
    socket.disconnect()
    input.disabled = true
    document.getElementById('chat-send').disabled = true
    setStatus('The session has ended.')
    const link = document.createElement('a')
    link.href = root.dataset.afterUrl
    link.textContent = party === 'patient' ? 'Rate the session and add your own notes' : 'Write the session record'
    typingLine.replaceChildren(link)
  }

  function tick () {
    const left = Math.max(0, Math.round((endsAt - Date.now()) / 1000))
    clock.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`
    if (left === 0) end()
  }
  setInterval(tick, 1000)
  keepSignedIn() // through a 50-minute session
}
