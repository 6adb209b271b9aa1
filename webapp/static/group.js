// A group meeting's room: messages over Socket.IO (namespace /group), resync after a dropped
// connection, and for facilitators the members list (mute, remove) and risk alerts. Messages
// arrive as HTML the server already escaped and linkified (webapp/user_text.py); everything
// else is set as text. Members are shown by their community handle only.
import { io } from './socketio/socket.io.esm.min.js'
import { followRelay, keepSignedIn, place, queue, sendOnEnter, transmit as send, watchGaps } from './room-common.js'

const root = document.getElementById('group-room')
if (root) start(root)

function start (root) {
  const occurrenceId = Number(root.dataset.occurrenceId)
  const facilitator = root.dataset.facilitator === 'yes'
  const form = document.getElementById('chat-form')
  const input = document.getElementById('chat-input')
  const sendButton = document.getElementById('chat-send')
  const list = document.getElementById('chat-messages')
  const status = document.getElementById('chat-status')
  const errorBox = document.getElementById('chat-error')
  const clock = document.getElementById('chat-clock')
  const you = document.getElementById('group-you')
  const support = document.getElementById('group-support')
  const alerts = document.getElementById('group-alerts')
  const roster = document.getElementById('group-roster')
  const csrfToken = form.querySelector('input[name="csrf_token"]').value

  const seen = new Set()
  const pending = new Map()
  // Every number up to `settled` that this page may see, it has. Held messages leave numbers a
  // member never sees, so a skipped number may be one of those, one on its way, or one lost
  // between the server's instances: the page asks, and the answer says how far it is settled.
  let settled = 0
  let highest = 0
  const checkGap = watchGaps(() => highest > settled, () => resync())
  let myLabel = null
  let endsAt = Date.now() + Number(root.dataset.secondsLeft) * 1000
  let closed = false

  const socket = io('/group', {
    transports: ['websocket', 'polling'],
    auth: (send) => send({ occurrence_id: occurrenceId, csrf_token: csrfToken, last_seen: settled })
  })

  function setStatus (text) { status.textContent = text }
  function showError (text) {
    errorBox.hidden = !text
    errorBox.textContent = text ? `Error: ${text}` : ''
  }
  function setMuted (muted) {
    input.disabled = muted || closed
    sendButton.disabled = muted || closed
    if (muted) setStatus('A facilitator has muted you for now. You can still read.')
  }

  function render (message) {
    const item = document.createElement('li')
    const mine = message.sender === myLabel
    item.className = `app-chat__message app-chat__message--${mine ? 'mine' : 'theirs'}`
    item.dataset.sequence = message.sequence
    const meta = document.createElement('p')
    meta.className = 'nhsuk-body-s nhsuk-u-margin-bottom-1'
    const who = document.createElement('strong')
    who.className = 'app-group__sender'
    who.textContent = mine ? 'You' : message.sender
    const when = document.createElement('time')
    when.dateTime = message.sent_at
    when.textContent = ' ' + new Date(message.sent_at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    meta.append(who, when)
    if (message.held) {
      const held = document.createElement('span')
      held.className = 'nhsuk-tag nhsuk-tag--grey'
      held.textContent = mine ? ' Seen only by you and the facilitator' : ' Held: not shown to the group'
      meta.append(' ', held)
    }
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
    settle()
    place(list, pending, message, render(message), message.sender === myLabel)
    checkGap()
  }

  function settle () {
    while (seen.has(settled + 1)) settled += 1
  }

  // Everything after `settled` this page may see, and the room's highest number when asked.
  function resync () {
    if (!socket.connected || closed) return
    socket.emit('resync', { last_seen: settled }, (answer) => {
      if (!answer || !answer.ok) return checkGap() // ask again in a moment
      answer.messages.forEach(add)
      if (Number.isInteger(answer.through)) settled = Math.max(settled, answer.through)
      settle()
    })
  }

  function transmit (clientId) {
    send(socket, pending, clientId, {
      add,
      input,
      showError,
      stored: (ack) => { if (ack.support) support.hidden = false }
    })
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const body = input.value.trim()
    if (closed || input.disabled) return
    if (!body) {
      showError('Type a message before sending it.')
      input.focus()
      return
    }
    if (!socket.connected) {
      setStatus('Reconnecting… Your message is kept here and you can send it when you are back.')
      return
    }
    showError('')
    const clientId = queue(list, pending, body)
    input.value = ''
    transmit(clientId)
  })

  sendOnEnter(input, form, document.getElementById('chat-enter-hint'))

  function showRoster (members) {
    if (!roster) return
    roster.replaceChildren(...members.map((member) => {
      const item = document.createElement('li')
      item.append(member.handle + (member.muted ? ' (muted) ' : ' '))
      const mute = document.createElement('button')
      mute.type = 'button'
      mute.className = 'nhsuk-button nhsuk-button--secondary nhsuk-u-margin-bottom-1'
      mute.textContent = `${member.muted ? 'Unmute' : 'Mute'} ${member.handle}`
      mute.addEventListener('click', () => {
        socket.emit('mute', { user_id: member.user_id, muted: !member.muted }, (ack) => {
          if (!ack.ok) return showError(ack.error)
          member.muted = ack.muted
          showRoster(members)
          setStatus(`${member.handle} is ${ack.muted ? 'muted' : 'no longer muted'}.`)
        })
      })
      const remove = document.createElement('button')
      remove.type = 'button'
      remove.className = 'nhsuk-button nhsuk-button--warning nhsuk-u-margin-bottom-1'
      remove.textContent = `Remove ${member.handle}`
      remove.addEventListener('click', () => {
        if (!window.confirm(`Remove ${member.handle} from the group?`)) return
        socket.emit('remove', { user_id: member.user_id }, (ack) => {
          if (!ack.ok) return showError(ack.error)
          showRoster(members.filter((m) => m !== member))
          setStatus(`${member.handle} has been removed.`)
        })
      })
      item.append(mute, ' ', remove)
      return item
    }))
  }

  socket.on('connect', () => {
    showError('')
    setStatus('Connected.')
    for (const clientId of pending.keys()) transmit(clientId)
  })
  socket.on('disconnect', () => { if (!closed) setStatus('Reconnecting…') })
  socket.on('connect_error', (error) => {
    if (socket.active) {
      setStatus('Reconnecting…')
    } else {
      setStatus('Not connected.')
      showError(error.message)
    }
  })
  socket.on('joined', (state) => {
    myLabel = state.you
    you.textContent = facilitator ? 'You are facilitating.' : `The group sees you as ${state.you}.`
    endsAt = Date.now() + state.seconds_left * 1000
    setMuted(state.muted)
  })
  socket.on('history', (messages) => messages.forEach(add))
  socket.on('chat', add)
  followRelay(socket, resync)
  socket.on('roster', showRoster)
  socket.on('presence', (change) => {
    if (change.who !== myLabel) setStatus(`${change.who} has ${change.present ? 'joined' : 'left'} the room.`)
  })
  socket.on('muted', (change) => {
    setMuted(change.muted)
    if (!change.muted) setStatus('You can post again.')
  })
  socket.on('removed', (change) => {
    end(change.message)
  })
  // The meeting's open alerts, on joining and again on every reconnection: boxes already shown
  // take what changed meanwhile, and one no longer open was closed by a moderator.
  socket.on('alerts', (open) => {
    const ids = new Set(open.map((alert) => String(alert.alert_id)))
    if (alerts) alerts.querySelectorAll('[data-alert-id]').forEach((box) => { if (!ids.has(box.dataset.alertId)) markClosed(box.dataset.alertId) })
    open.forEach(showAlert)
  })
  socket.on('alert', showAlert)
  socket.on('alert_acknowledged', (change) => markAcknowledged(change.alert_id, change.by))
  socket.on('alert_escalated', (change) => markEscalated(change.alert_id, change.by))
  socket.on('alert_closed', (change) => markClosed(change.alert_id))

  function alertBox (alertId) {
    return alerts && alerts.querySelector(`[data-alert-id="${alertId}"]`)
  }

  function setNote (alertId, text) {
    const box = alertBox(alertId)
    if (!box) return
    box.querySelector('button')?.remove()
    box.querySelector('.app-alert-note').textContent = text
  }

  // A member's risk message: the facilitator acknowledges it here (they are checking in with
  // the member), so the on-call clinician is not texted; the moderator closes it later.
  function showAlert (alert) {
    if (!alerts) return
    if (!alertBox(alert.alert_id)) addAlert(alert)
    if (alert.escalated) markEscalated(alert.alert_id, 'A moderator')
    else if (alert.acknowledged_by) markAcknowledged(alert.alert_id, alert.acknowledged_by)
  }

  function addAlert (alert) {
    const box = document.createElement('div')
    box.className = 'nhsuk-warning-callout'
    box.dataset.alertId = alert.alert_id
    const heading = document.createElement('h2')
    heading.className = 'nhsuk-warning-callout__label'
    heading.textContent = `Risk alert: ${alert.sender}`
    const text = document.createElement('p')
    text.innerHTML = alert.html // escaped by the server
    const note = document.createElement('p')
    note.className = 'app-alert-note'
    note.textContent = 'Held from the group. The moderator on shift has been alerted. Check in with this member now.'
    box.append(heading, text, note)
    alerts.append(box)
    if (alert.acknowledged_by || alert.escalated) return
    const acknowledge = document.createElement('button')
    acknowledge.type = 'button'
    acknowledge.className = 'nhsuk-button nhsuk-button--secondary nhsuk-u-margin-bottom-0'
    acknowledge.textContent = `I am checking in with ${alert.sender}`
    acknowledge.addEventListener('click', () => {
      acknowledge.disabled = true
      socket.emit('acknowledge_alert', { alert_id: alert.alert_id }, (ack) => {
        if (!ack.ok) {
          acknowledge.disabled = false
          return showError(ack.error)
        }
        markAcknowledged(ack.alert_id, ack.acknowledged_by)
        setStatus(`Alert about ${alert.sender} acknowledged.`)
      })
    })
    box.append(acknowledge)
  }

  function markEscalated (alertId, by) {
    const box = alertBox(alertId)
    if (box) box.dataset.escalated = 'yes'
    setNote(alertId, `Held from the group. ${by} has asked the clinical lead to look, and the on-call clinician is being texted. The moderator on shift will close the alert.`)
  }

  function markClosed (alertId) {
    setNote(alertId, 'Held from the group. The moderator has closed this alert.')
  }

  function markAcknowledged (alertId, by) {
    const box = alertBox(alertId)
    if (!box || box.dataset.escalated) return // (escalation says more)
    setNote(alertId, `Held from the group. Acknowledged by ${by}: the on-call clinician will not be texted. The moderator on shift will close the alert.`)
  }

  socket.on('closed', (change) => end(change.message))

  function end (message) {
    if (closed) return
    closed = true
    endsAt = Date.now()
    socket.disconnect()
    input.disabled = true
    sendButton.disabled = true
    setStatus(message || 'The meeting has ended.')
    const link = document.createElement('a')
    link.href = root.dataset.afterUrl
    link.textContent = facilitator ? 'Record attendance' : 'Back to the group'
    errorBox.hidden = false
    errorBox.className = 'nhsuk-body'
    errorBox.replaceChildren(link)
  }

  function tick () {
    const left = Math.max(0, Math.round((endsAt - Date.now()) / 1000))
    clock.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`
    if (left === 0) end()
  }
  setInterval(tick, 1000)
  keepSignedIn()
}
